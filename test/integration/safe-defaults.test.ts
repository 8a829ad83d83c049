/**
 * Safe by default.
 * - The embedded node's run directory and containerd socket are root's alone, seen while a real
 *   run is up: directories 0700, files 0600, sockets root:root with no bits for others, and a
 *   process of another user can neither list the directory nor connect to the socket.
 * - Credentials in a kubeconfig (a bearer token, a password in the server URL) never reach the
 *   output or the report, while the run does use them (the API server sees the token).
 * - The privileged node probe is opt-in: asking for it without --allow-privileged-probe is refused.
 * (That every external command is run with an argument array is test/unit/argument-arrays.test.ts.)
 */
import { expect } from 'chai';
import { execa } from 'execa';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RUNS_BASE, runLayout } from '../../lib/runtime/run-layout.ts';
import { cliPath, runCli, startCli, tempReportDir } from './helpers/cli.ts';
import { tempDir } from './helpers/temp-dirs.ts';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

async function mode(file: string): Promise<{ mode: number; uid: number; gid: number; socket: boolean }> {
  const s = await stat(file);
  return { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, socket: s.isSocket() };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('safe by default', function () {
  this.timeout(90_000);

  it('the run directory and socket of the embedded node are root-only while it runs', async function () {
    const run = startCli(['run', '--provider', 'local', '--report-dir', tempReportDir(), '--grep', 'pause holds the IPC and UTS namespaces']);
    const layout = runLayout(await run.runId());
    // From here until teardown the node is up.
    await run.waitForLine(/^target /);
    const seen: Record<string, { mode: number; uid: number; gid: number; socket: boolean }> = {};
    for (const file of [RUNS_BASE, layout.dir, layout.ownerFile, layout.configFile, layout.logFile, layout.socket, `${layout.socket}.ttrpc`, layout.cniConfDir, layout.cniIpamDir, path.join(layout.cniConfDir, '10-pause-conformance.conflist')]) {
      seen[file] = await mode(file);
    }
    for (const entry of await readdir(layout.dir, { withFileTypes: true })) {
      if (entry.isDirectory()) seen[path.join(layout.dir, entry.name)] = await mode(path.join(layout.dir, entry.name));
    }
    // Another user, while the run is up: cannot list the run directory, cannot reach the socket.
    const list = await execa(NOBODY[0]!, [...NOBODY.slice(1), 'ls', layout.dir], { reject: false });
    const connect = await execa(NOBODY[0]!, [...NOBODY.slice(1), 'node', '-e', "require('net').connect(process.argv[1]).on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(1) })", layout.socket], {
      reject: false,
      env: { PATH: cliPath() },
    });
    const result = await run.result;
    expect(result.exitCode, `the run itself; stderr: ${result.stderr}`).to.equal(0);

    for (const [file, facts] of Object.entries(seen)) {
      expect(facts.uid, `${file} owner`).to.equal(0);
      expect(facts.gid, `${file} group`).to.equal(0);
      if (facts.socket) expect(facts.mode & 0o007, `${file} (socket) mode ${facts.mode.toString(8)} gives others nothing`).to.equal(0);
      else if (file.endsWith('.json') || file.endsWith('.toml') || file.endsWith('.log') || file.endsWith('.conflist')) expect(facts.mode, `${file} mode`).to.equal(0o600);
      else expect(facts.mode, `${file} mode`).to.equal(0o700);
    }
    expect(seen[layout.socket]!.socket, 'containerd.sock is a socket').to.equal(true);
    expect(list.exitCode, `nobody listing ${layout.dir}: ${list.stderr}`).to.not.equal(0);
    expect(list.stderr).to.match(/Permission denied/);
    expect(connect.stdout.trim(), `nobody connecting to ${layout.socket}`).to.equal('EACCES');
  });

  describe('kubeconfig credentials never reach the output or the report', function () {
    const token = 'TOKEN-pc-it-6c1f0e9d2b';
    const password = 'PASSWD-pc-it-3a7b';
    const authorizations: string[] = [];
    let server: http.Server;
    let dir: string;

    before(async function () {
      // A stand-in API server on loopback: it answers /version, forbids everything else, and
      // records the Authorization header it is sent (so the test knows the token was used).
      server = http.createServer((request, response) => {
        authorizations.push(request.headers.authorization ?? '');
        response.writeHead(request.url?.startsWith('/version') ? 200 : 403, { 'content-type': 'application/json' });
        response.end(JSON.stringify(request.url?.startsWith('/version') ? { major: '1', minor: '36', gitVersion: 'v1.36.0' } : { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'forbidden', reason: 'Forbidden', code: 403 }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      dir = tempDir('kubeconfig');
    });

    after(async function () {
      server.close();
      await rm(dir, { recursive: true, force: true });
    });

    const kubeconfig = (server: string): string => `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: ${server}
    insecure-skip-tls-verify: true
users:
- name: u1
  user:
    token: ${token}
contexts:
- name: ctx1
  context: {cluster: c1, user: u1}
current-context: ctx1
`;

    for (const variant of ['token', 'password in the server URL'] as const) {
      it(`${variant}: ${variant === 'token' ? 'sent to the API server, ' : ''}never printed or reported`, async function () {
        const port = (server.address() as AddressInfo).port;
        const file = path.join(dir, `${variant.replace(/\W+/g, '-')}.yaml`);
        const url = variant === 'token' ? `http://127.0.0.1:${port}` : `http://admin:${password}@127.0.0.1:${port}`;
        await writeFile(file, kubeconfig(url), { mode: 0o600 });
        const reportDir = tempReportDir();
        const before = authorizations.length;
        const result = await runCli(['run', '--provider', 'kubeconfig', '--kubeconfig', file, '--node-shell', 'local', '--report-dir', reportDir]);
        expect(result.exitCode, `exit code; stderr: ${result.stderr}`).to.equal(2);
        if (variant === 'token') expect(authorizations.slice(before), 'the API server was sent the token').to.include(`Bearer ${token}`);
        const written = await Promise.all((await filesUnder(reportDir)).map((f) => readFile(f, 'utf8')));
        for (const [where, text] of [['stdout', result.stdout], ['stderr', result.stderr], ...written.map((t, i) => [`report file ${i}`, t])] as [string, string][]) {
          expect(text, where).to.not.include(token);
          expect(text, where).to.not.include(password);
          expect(text, where).to.not.include('TOKEN-pc-it');
        }
      });
    }
  });

  it('the privileged node probe is opt-in', async function () {
    const result = await runCli(['run', '--provider', 'kubeconfig', '--node-shell', 'probe', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(result.exitCode).to.equal(2);
    expect(result.stderr.trim()).to.match(/^pause-conformance: --node-shell probe runs a privileged pod .* so it is opt-in\. Add --allow-privileged-probe/);
  });
});
