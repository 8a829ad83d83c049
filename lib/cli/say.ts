/** One line for the person watching the run (stdout; the report has the same facts). */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
