/** Whether a program is installed: an executable of that name in one of PATH's directories. */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export function onPath(binary: string, pathVariable: string | undefined = process.env['PATH']): boolean {
  for (const dir of (pathVariable ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}
