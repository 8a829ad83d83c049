/**
 * The errno name (ENOENT, EACCES, EEXIST...) of a failed system call, as Node puts it on the error
 * it throws. One reader instead of a cast at every catch: a thrown value that carries no code
 * (not a system error at all) reads as undefined rather than crashing the handler.
 */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && code !== '' ? code : undefined;
}
