/**
 * A long-lived helper process a node's change source reads line by line (`ip -o monitor link`,
 * the pidfd helper), stamped with when each line arrived. Its stdin is a pipe from us that the
 * helper's guard reads: when we close it (close(), our exit, our SIGKILL) the helper ends, so no
 * helper outlives the run that started it. What ended it is kept for the evidence (whyNot()).
 */
import { execa, type ResultPromise } from 'execa';
import { messageOf } from '../errors.ts';

/** Complete lines of a stream read in chunks; the rest waits for the next chunk. */
export function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}

export class LineHelper {
  private child: ResultPromise<{ buffer: false; reject: false; stdin: 'pipe'; stderr: 'pipe' }> | undefined;
  private ended: string | undefined = 'not started';
  /** How the evidence names it: "ip monitor", "the pidfd helper (perl)". */
  private readonly name: string;
  private readonly onLine: (line: string, atMs: number) => void;

  constructor(name: string, onLine: (line: string, atMs: number) => void) {
    this.name = name;
    this.onLine = onLine;
  }

  start(file: string, args: string[]): void {
    const child = execa(file, args, { buffer: false, reject: false, stdin: 'pipe', stderr: 'pipe' });
    this.child = child;
    this.ended = undefined;
    let stderr = '';
    child.stdout.setEncoding('utf8');
    // One stamp per read: its lines (and the end of a line begun in the read before) arrived then.
    let atMs = 0;
    const split = lineSplitter((line) => this.onLine(line, atMs));
    child.stdout.on('data', (chunk: string) => {
      atMs = Date.now();
      split(chunk);
    });
    child.stderr.setEncoding('utf8');
    // Only its last words are reported; a helper that runs for a whole run keeps no more.
    child.stderr.on('data', (chunk: string) => void (stderr = (stderr + chunk).slice(-2_000)));
    // A write after the helper ended (EPIPE) is said by whyNot(), not thrown at a watch.
    child.stdin.on('error', () => undefined);
    child.then(
      (result) => this.end(child, `${this.name} ended (exit ${result.exitCode ?? result.signal ?? '?'}${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''})`),
      (error: unknown) => this.end(child, `${this.name} failed: ${messageOf(error)}`),
    );
  }

  /** Runs once the helper has ended (at once if it has). */
  whenEnded(then: (why: string) => void): void {
    if (!this.child) then(this.ended ?? 'not started');
    else void this.child.finally(() => then(this.ended ?? `${this.name} ended`));
  }

  private end(child: unknown, why: string): void {
    if (this.child === child && this.ended === undefined) this.ended = why;
  }

  write(text: string): void {
    this.child?.stdin.write(text);
  }

  /** Why it is not running, or undefined while it runs. */
  whyNot(): string | undefined {
    return this.ended;
  }

  /** Ends it by closing its stdin (its guard's signal), killing it if it has not gone in `killAfterMs`; `why` stays in whyNot(). */
  async close(why = 'closed', killAfterMs = 2_000): Promise<void> {
    const child = this.child;
    this.ended ??= why;
    if (!child) return;
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await child;
    clearTimeout(timer);
    this.child = undefined;
  }
}
