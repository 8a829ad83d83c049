/**
 * Restarting a node's container runtime the way its operator would (a service restart), then
 * waiting, with a deadline, until the runtime answers again. Used by cluster providers whose node
 * runs the runtime as a service: kind (systemd in the node container), microk8s (a snap service).
 */
import { runChecked, type NodeShell } from '../../node/node-shell.ts';
import { pollUntil } from '../../wait.ts';

export interface RuntimeRestart {
  /** Node name, for messages. */
  node: string;
  shell: NodeShell;
  /** The service restart, e.g. ['systemctl', 'restart', 'containerd']. */
  restart: string[];
  /** A command that exits 0 once the runtime serves again, e.g. ['crictl', 'version']. */
  probe: string[];
  timeoutMs?: number;
}

export async function restartRuntimeAndWait(spec: RuntimeRestart): Promise<{ downMs: number }> {
  const t0 = Date.now();
  await runChecked(spec.shell, spec.restart, 120_000);
  await pollUntil(
    async () => {
      const result = await spec.shell.run(spec.probe, { timeoutMs: 10_000 });
      if (result.exitCode === 0) return { done: true, value: undefined };
      const said = result.stderr.trim().split('\n').at(-1) ?? '';
      return { done: false, seen: `${spec.probe.join(' ')} exit ${result.exitCode}${said ? `: ${said}` : ''}` };
    },
    { awaited: `the runtime on ${spec.node} answering ${spec.probe.join(' ')} after ${spec.restart.join(' ')}`, timeoutMs: spec.timeoutMs ?? 60_000, intervalMs: 200 },
  );
  return { downMs: Date.now() - t0 };
}
