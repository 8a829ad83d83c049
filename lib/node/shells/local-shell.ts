/**
 * Commands on this machine, for nodes that are this machine (the embedded node, --cri-endpoint,
 * --node-shell local, microk8s). The polled read-only probes (cat, test -e, readlink) read the
 * file system directly instead of spawning coreutils: see local-fs-probes.ts.
 */
import { execa } from 'execa';
import { runLocalProbe } from '../local-fs-probes.ts';
import type { NodeShell, ShellResult } from '../node-shell.ts';

export class LocalShell implements NodeShell {
  readonly describe = '';
  async run(argv: string[], options: { timeoutMs?: number } = {}): Promise<ShellResult> {
    const [file, ...args] = argv;
    if (!file) throw new Error('empty command');
    const probe = await runLocalProbe(argv);
    if (probe) return probe;
    const result = await execa(file, args, { reject: false, timeout: options.timeoutMs ?? 30_000, stdin: 'ignore' });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? (result.failed ? 127 : 0) };
  }
}
