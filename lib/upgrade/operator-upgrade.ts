/**
 * A real node's runtime upgrade, made by the operator's own command (a package install and a
 * service restart, a snap refresh), run on the node through its NodeShell as an argument list;
 * then a bounded wait until the runtime answers again. What the runtime said it was before and
 * after (`crictl version`) becomes the upgrade's FROM and TO in the report.
 */
import type { NodeShell } from '../node/node-shell.ts';
import type { RuntimeUpgradeResult } from '../target.ts';
import { pollUntil } from '../wait.ts';

const UPGRADE_TIMEOUT_MS = 15 * 60_000;

export interface OperatorUpgrade {
  node: string;
  shell: NodeShell;
  /** The operator's command, as words (lib/options.ts commandWords). */
  command: string[];
  /** A command that prints the runtime's version and exits 0 once it serves, e.g. ['crictl', 'version']. */
  probe: string[];
  timeoutMs?: number;
}

function runtimeVersionLine(stdout: string): string {
  const name = /RuntimeName:\s*(\S+)/.exec(stdout)?.[1];
  const version = /RuntimeVersion:\s*(\S+)/.exec(stdout)?.[1];
  return name && version ? `${name} ${version}` : stdout.trim().split('\n').at(-1) ?? 'unknown';
}

export async function runOperatorUpgrade(spec: OperatorUpgrade): Promise<RuntimeUpgradeResult> {
  const before = await spec.shell.run(spec.probe, { timeoutMs: 30_000 });
  const t0 = Date.now();
  const ran = await spec.shell.run(spec.command, { timeoutMs: spec.timeoutMs ?? UPGRADE_TIMEOUT_MS });
  const output = `${ran.stdout}\n${ran.stderr}`.trim().split('\n').slice(-20).join('\n');
  if (ran.exitCode !== 0) throw new Error(`the upgrade command ${spec.command.join(' ')} on node ${spec.node} exited ${ran.exitCode}: ${output.split('\n').slice(-3).join(' | ')}`);
  const after = await pollUntil(
    async () => {
      const result = await spec.shell.run(spec.probe, { timeoutMs: 10_000 });
      return result.exitCode === 0 ? { done: true, value: result.stdout } : { done: false, seen: `${spec.probe.join(' ')} exit ${result.exitCode}: ${result.stderr.trim().split('\n').at(-1) ?? ''}` };
    },
    { awaited: `the runtime on ${spec.node} answering ${spec.probe.join(' ')} after ${spec.command.join(' ')}`, timeoutMs: 120_000, intervalMs: 200 },
  );
  return { from: runtimeVersionLine(before.stdout), to: runtimeVersionLine(after), downMs: Date.now() - t0, command: spec.command, output };
}
