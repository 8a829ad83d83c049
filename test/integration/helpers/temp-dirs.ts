/**
 * Scratch directories of the integration tests (report directories of the CLI runs, fixture
 * copies), all under one directory per test process, which a root hook removes at the end.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = path.join(os.tmpdir(), `pause-conformance-it-${process.pid}`);

export function tempDir(prefix: string): string {
  mkdirSync(BASE, { recursive: true, mode: 0o700 });
  return mkdtempSync(path.join(BASE, `${prefix}-`));
}

export const mochaHooks = {
  afterAll(): void {
    rmSync(BASE, { recursive: true, force: true });
  },
};
