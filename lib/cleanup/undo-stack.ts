/**
 * Every resource a run makes registers its undo here BEFORE it is used. Teardown runs the undos
 * in reverse order, keeps going past failures, and returns what could not be undone so the leak
 * check and the report can name it.
 */
export interface UndoFailure {
  label: string;
  error: string;
}

interface Undo {
  label: string;
  run: () => Promise<void>;
}

/** A registered undo: run it early (once), or release it once the thing is gone by other means. */
export interface UndoHandle {
  run(): Promise<void>;
  release(): void;
}

export class UndoStack implements AsyncDisposable {
  private readonly undos: Undo[] = [];
  private running: Promise<UndoFailure[]> | undefined;

  /** Registers an undo before the thing it undoes is made. */
  push(label: string, run: () => Promise<void>): UndoHandle {
    const undo: Undo = { label, run };
    this.undos.push(undo);
    const release = (): boolean => {
      const index = this.undos.indexOf(undo);
      if (index === -1) return false;
      this.undos.splice(index, 1);
      return true;
    };
    return {
      run: async () => {
        if (release()) await run();
      },
      release: () => {
        release();
      },
    };
  }

  get size(): number {
    return this.undos.length;
  }

  get labels(): string[] {
    return this.undos.map((undo) => undo.label);
  }

  /** Runs every undo, newest first. Concurrent callers (a signal during teardown) share one run. */
  unwind(): Promise<UndoFailure[]> {
    this.running ??= (async () => {
      const failures: UndoFailure[] = [];
      while (this.undos.length > 0) {
        const undo = this.undos.pop()!;
        try {
          await undo.run();
        } catch (error) {
          failures.push({ label: undo.label, error: error instanceof Error ? error.message : String(error) });
        }
      }
      return failures;
    })();
    return this.running;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.unwind();
  }
}
