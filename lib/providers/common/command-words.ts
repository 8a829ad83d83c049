/**
 * A command the user hands over as one option value (--restart-runtime 'systemctl restart
 * containerd'), turned into an argument list that runs without a shell: split on blanks, with
 * '...' and "..." keeping blanks inside one word. What only a shell would give meaning to (a
 * pipe, &&, ;, a redirection, $VAR, `...`) is refused in one line rather than passed on as
 * words the command would misread.
 */
import { UsageError } from '../../errors.ts';

const SHELL_ONLY = /[|&;<>$`\\(){}*?~]/;

export function commandWords(raw: string, flag: string): string[] {
  const words: string[] = [];
  let current = '';
  let started = false;
  let quote: '"' | "'" | undefined;
  for (const char of raw) {
    if (quote) {
      if (char === quote) quote = undefined;
      else current += char;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
      started = true;
    } else if (/\s/.test(char)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else if (SHELL_ONLY.test(char)) {
      throw new UsageError(`${flag} ${raw} cannot run as given`, `it runs with no shell, and "${char}" means something only to a shell`, `Pass one command and its arguments, e.g. ${flag} 'systemctl restart containerd' (put a pipeline in a script on the node and pass its path).`);
    } else {
      current += char;
      started = true;
    }
  }
  if (quote) throw new UsageError(`${flag} ${raw} cannot be split into words`, `its ${quote} quote is not closed`, `Close the quote, e.g. ${flag} 'systemctl restart containerd'.`);
  if (started) words.push(current);
  if (words.length === 0) throw new UsageError(`${flag} is empty`, 'it is the command that restarts the runtime', `Pass e.g. ${flag} 'systemctl restart containerd'.`);
  return words;
}
