/**
 * Errors a user can meet. Each carries one line that says what failed, why, and what to do;
 * the CLI prints that line alone (no stack) and exits 2. Anything else is a bug and keeps its stack.
 */
export class UserFacingError extends Error {
  readonly exitCode = 2;
  constructor(what: string, why: string, todo: string) {
    super(`${what}: ${why}. ${todo}`);
    this.name = 'UserFacingError';
  }
}

/** A bad flag, value or file given on the command line. */
export class UsageError extends UserFacingError {
  constructor(what: string, why: string, todo = 'See `pause-conformance --help`.') {
    super(what, why, todo);
    this.name = 'UsageError';
  }
}

/** The machine or target is not in a state the run can use (not root, binary missing, socket refuses). */
export class EnvironmentError extends UserFacingError {
  constructor(what: string, why: string, todo: string) {
    super(what, why, todo);
    this.name = 'EnvironmentError';
  }
}

export function isUserFacing(error: unknown): error is UserFacingError {
  return error instanceof UserFacingError;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
