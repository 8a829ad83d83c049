/**
 * SIGINT and SIGTERM during a run. The first stops the run: running suites are aborted, the next
 * step refuses to start, and teardown still runs. A second exits at once and names what was still
 * registered for undo, so the person who pressed Ctrl-C twice knows what they left behind.
 */
import type Mocha from 'mocha';
import type { UndoStack } from '../cleanup/undo-stack.ts';
import { interruptedBy } from '../report/report.ts';

export const EXIT_INTERRUPTED = 130;

/** Thrown by whatever was about to start after a signal came. */
export class Interrupted extends Error {
  constructor(signal: string) {
    super(interruptedBy(signal));
    this.name = 'Interrupted';
  }
}

export class Interruption {
  /** The first signal received, if any. */
  signal: NodeJS.Signals | undefined;
  /** Suite runs under way, aborted by the first signal. */
  readonly runners = new Set<Mocha.Runner>();
  private readonly undo: UndoStack;
  private readonly say: (line: string) => void;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.signal) {
      this.say(`second ${signal}: exiting now; still registered for cleanup: ${this.undo.labels.join('; ') || 'nothing'}`);
      process.exit(EXIT_INTERRUPTED);
    }
    this.signal = signal;
    this.say(`${signal}: stopping the run and cleaning up (send it again to exit at once)`);
    for (const runner of this.runners) runner.abort();
  };

  constructor(undo: UndoStack, say: (line: string) => void) {
    this.undo = undo;
    this.say = say;
  }

  listen(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  stop(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  /** Throws Interrupted once a signal came: called before each thing the run starts. */
  check(): void {
    if (this.signal) throw new Interrupted(this.signal);
  }

  /** "interrupted by SIGINT", or undefined while no signal came. */
  get reason(): string | undefined {
    return this.signal ? interruptedBy(this.signal) : undefined;
  }
}
