/**
 * What the two node-container shells answer where a runtime inspector or a teardown check depends
 * on it, on a real node container of the private engine: a command missing in the node, a command
 * past its deadline (and whether it still runs in the node afterwards), and the node's own view of
 * itself against this machine's (pid namespace, the node's containerd socket); exact bytes and
 * exit codes through the shell's exec sessions, and after its close() no session shell, temp dir
 * or running exec left in the node; through docker exec, the change sources' exec
 * (exec-node-events.ts): what runs in the node while it is open, and that nothing of it is left
 * there once it is closed, or once the process that opened it is SIGKILLed. Prints one JSON
 * object. Run as a child process with DOCKER_HOST naming the engine (testcontainers reads it once).
 * Usage: node node-shell-checks.ts docker-exec|testcontainers IMAGE
 */
import { readlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { UndoStack } from '../../../../lib/cleanup/undo-stack.ts';
import { CtrInspector } from '../../../../lib/node/ctr-inspector.ts';
import { runChecked, type NodeShell } from '../../../../lib/node/node-shell.ts';
import { startExecNodeEvents } from '../../../../lib/node/exec-node-events.ts';
import { pollUntil } from '../../../../lib/wait.ts';
import { newRunId } from '../../../../lib/runtime/run-dir.ts';
import { NODE_CNI_CONF_DIR, sourcesRunningIn } from './node-container-provider.ts';
import { startNodeContainer } from './node-containers.ts';

/** The session temp dirs in the node. */
async function sessionDirs(shell: NodeShell): Promise<string[]> {
  return (await runChecked(shell, ['sh', '-c', 'for d in /tmp/pause-conformance-session.*; do [ -e "$d" ] && echo "$d"; done; true'])).split('\n').filter(Boolean);
}

/** The sessions' `sh -s` processes in the node. */
async function sessionShells(shell: NodeShell): Promise<string[]> {
  return (await runChecked(shell, ['ps', '-eo', 'pid,args'])).split('\n').filter((line) => /^\s*\d+ sh -s$/.test(line));
}

/** The engine's execs into the node container that still run (the engine keeps finished ones a while). */
async function runningExecs(container: string): Promise<string[]> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const ids = (await client.container.inspect(client.container.getById(container))).ExecIDs ?? [];
  const running: string[] = [];
  for (const id of ids) {
    const exec = await client.container.dockerode.getExec(id).inspect();
    if (exec.Running) running.push(`${id.slice(0, 12)}: ${exec.ProcessConfig.entrypoint} ${exec.ProcessConfig.arguments.join(' ')}`);
  }
  return running;
}

const [shellKind, image] = process.argv.slice(2);
if ((shellKind !== 'docker-exec' && shellKind !== 'testcontainers') || !image) {
  process.stderr.write('usage: node-shell-checks.ts docker-exec|testcontainers IMAGE\n');
  process.exit(2);
}
/** The exec into the node that streams ctr events and ip monitor: started, closed, and its owner SIGKILLed. */
async function changeSourceChecks(container: string, shell: NodeShell): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {};
  const t0 = Date.now();
  const events = await startExecNodeEvents({ engine: 'docker', container });
  seen['startMs'] = Date.now() - t0;
  seen['sources'] = events.sources();
  seen['runningWhileOpen'] = await sourcesRunningIn(shell);
  await events.close();
  seen['leftAfterClose'] = await sourcesRunningIn(shell);
  // The owner SIGKILLed: docker exec's stdin closes with it, the script's read returns, it kills its children.
  const module = fileURLToPath(new URL('../../../../lib/node/exec-node-events.ts', import.meta.url));
  const owner = execa(process.execPath, ['--input-type=module', '-e', `const { startExecNodeEvents } = await import(${JSON.stringify(module)}); await startExecNodeEvents({ engine: 'docker', container: ${JSON.stringify(container)} }); console.log('started'); setInterval(() => {}, 1000);`], { reject: false, buffer: false, stdout: 'pipe' });
  await new Promise<void>((resolve) => owner.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve()));
  seen['runningWhileOwnerLives'] = (await sourcesRunningIn(shell)).length;
  owner.kill('SIGKILL');
  await owner;
  const t1 = Date.now();
  await pollUntil(async () => {
    const left = await sourcesRunningIn(shell);
    return left.length === 0 ? { done: true, value: undefined } : { done: false, seen: left.join('; ') };
  }, { awaited: `nothing of the change sources left in ${container} after their owner was SIGKILLed`, timeoutMs: 15_000, intervalMs: 100 }).catch((error: unknown) => void (seen['leftAfterOwnerKilled'] = error instanceof Error ? error.message : String(error)));
  seen['goneAfterOwnerKilledMs'] = Date.now() - t1;
  // And on this machine: the docker exec of the killed owner ends once the exec in the node has.
  const execsHere = async (): Promise<string[]> => String((await execa('ps', ['-eo', 'pid,args'], { reject: false })).stdout).split('\n').filter((line) => line.includes(`exec -i --privileged ${container} sh -c`));
  seen['execsLeftHere'] = await pollUntil(async () => {
    const left = await execsHere();
    return left.length === 0 ? { done: true, value: [] as string[] } : { done: false, seen: left.join('; ') };
  }, { awaited: `no docker exec into ${container} left on this machine`, timeoutMs: 10_000, intervalMs: 100 }).catch(async () => execsHere());
  return seen;
}

const undo = new UndoStack();
const out: Record<string, unknown> = {};
try {
  const node = await startNodeContainer(shellKind, `pc-shell-${newRunId()}`, image, (label, stop) => undo.push(label, stop));
  const { shell } = node;
  out['describe'] = shell.describe;
  out['facts'] = shell.facts ?? {};
  const missing = await shell.run(['crictl', 'version']);
  out['missingCommand'] = { exitCode: missing.exitCode, stdout: missing.stdout, stderr: missing.stderr };
  const t0 = Date.now();
  const slow = await shell.run(['sleep', '47'], { timeoutMs: 1500 });
  out['pastDeadline'] = { exitCode: slow.exitCode, stderr: slow.stderr, returnedAfterMs: Date.now() - t0 };
  // Still running in the node? Its processes, read in the node right after.
  out['sleepersAfter'] = (await runChecked(shell, ['ps', '-eo', 'pid,args'])).split('\n').filter((line) => /sleep 47/.test(line));
  out['nodePidNamespace'] = (await runChecked(shell, ['readlink', '/proc/1/ns/pid'])).trim();
  // PID 1 of this machine may refuse even root a look (a VM init here): this process is in the same pid namespace.
  out['hostPidNamespace'] = await readlink('/proc/self/ns/pid');
  out['nodePid1'] = (await runChecked(shell, ['cat', '/proc/1/cmdline'])).split('\0').filter(Boolean).join(' ');
  out['runtimeFacts'] = await new CtrInspector(shell, { ctr: ['ctr', '--namespace', 'k8s.io'], cniConfDir: NODE_CNI_CONF_DIR }).runtimeFacts();
  // Exact bytes and exit codes through the sessions: NULs, quotes, no final newline, stdout and stderr apart.
  out['exactBytes'] = await shell.run(['printf', `a\\000b 'c' "$HOME" \\n\\n%s`, 'end']);
  out['exitCodes'] = await shell.run(['sh', '-c', 'echo out; echo err >&2; exit 3']);
  // After the deadline kill above, the sessions go on: several commands side by side, each its own answer.
  out['sideBySide'] = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(async (i) => (await shell.run(['sh', '-c', `sleep 0.0${i}; echo ${i}`])).stdout));
  out['sessionDirsOpen'] = await sessionDirs(shell);
  out['sessionShellsOpen'] = await sessionShells(shell);
  await shell.close?.();
  out['factsAfterClose'] = shell.facts ?? {};
  // Through one exec each now: the sessions' shells are gone and they removed their temp dirs.
  out['sessionDirsAfterClose'] = await sessionDirs(shell);
  out['sessionShellsAfterClose'] = await sessionShells(shell);
  if (shellKind === 'testcontainers') out['runningExecsAfterClose'] = await runningExecs(node.name);
  if (shellKind === 'docker-exec') out['changeSources'] = await changeSourceChecks(node.name, shell);
} catch (error) {
  out['error'] = error instanceof Error ? error.message : String(error);
} finally {
  out['undoFailures'] = await undo.unwind();
}
process.stdout.write(JSON.stringify(out) + '\n');
