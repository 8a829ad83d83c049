/**
 * The thing users install is the thing tested: this checkout packed (`npm pack`, whose prepack
 * builds dist/), the tarball installed into a team's project made from examples/custom-suite (its
 * package.json pointing at the tarball), and from there, through npx as a user runs it: --version,
 * the built-in IPC checks and the example's own suite on the embedded node in one run, with their
 * checks in report.json, junit.xml and summary.md; no testcontainers stack in the install, and
 * the k3s provider saying what to install; an old Node told in one line. Nothing left behind.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Report } from '../../lib/report/report.ts';
import { cliPath, REPO } from './helpers/cli.ts';
import { changesSince, machineState } from './helpers/machine.ts';
import { residueOf } from './helpers/residue.ts';
import { tempDir } from './helpers/temp-dirs.ts';

const EXAMPLE = path.join(REPO, 'examples', 'custom-suite');
const TEAM_SUITE = 'a pod with a sidecar: every container sees the same /etc/hosts and hostname';
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

interface Manifest {
  version: string;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}

describe('the packed package, installed into a team project and run from there', function () {
  this.timeout(300_000);
  let project: string;
  let version: string;
  let tarballFiles: string[];
  // As a user in the project runs them: npm, and npx with the project's node_modules/.bin first.
  const inProject = (command: string, args: string[]) => execa(command, args, { cwd: project, env: { PATH: cliPath(), NO_COLOR: '1' }, reject: false, timeout: 240_000 });
  const npx = (args: string[]) => inProject('npx', ['pause-conformance', ...args]);

  before(async function () {
    const scratch = tempDir('package');
    version = (JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as Manifest).version;
    const startedAt = Date.now();
    await execa('npm', ['pack', '--pack-destination', scratch], { cwd: REPO, env: { PATH: cliPath() } });
    const packedAt = Date.now();
    const tarball = path.join(scratch, (await readdir(scratch)).find((name) => name.endsWith('.tgz'))!);
    tarballFiles = (await execa('tar', ['-tzf', tarball])).stdout.split('\n').map((entry) => entry.replace(/^package\//, ''));
    project = path.join(scratch, 'project');
    await cp(EXAMPLE, project, { recursive: true, filter: (source) => !source.includes('node_modules') && !source.includes('reports') });
    const manifestFile = path.join(project, 'package.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    manifest.devDependencies['pause-conformance'] = `file:${tarball}`;
    await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
    const installed = await inProject('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline']);
    expect(installed.exitCode, installed.stderr).to.equal(0);
    console.log(`      figures: pack (with the build) ${((packedAt - startedAt) / 1000).toFixed(1)} s, ${tarballFiles.length} files; install of the example project ${((Date.now() - packedAt) / 1000).toFixed(1)} s`);
  });

  it('ships what a run needs and nothing else: dist/, pod fixtures, docs, README, CHANGELOG, LICENSE', function () {
    for (const needed of ['bin/pause-conformance.js', 'dist/api/index.js', 'dist/api/index.d.ts', 'dist/lib/cli/main.js', 'dist/lib/cri/runtime-v1.proto', 'dist/suites/010-network-namespace.spec.js', 'fixtures/pods/trio.yaml', 'docs/ARCHITECTURE.md', 'README.md', 'CHANGELOG.md', 'LICENSE', 'package.json']) {
      expect(tarballFiles, needed).to.include(needed);
    }
    const unwanted = tarballFiles.filter((file) => /^(test|bench|scripts|ci|examples|fixtures\/recorded|fixtures\/reports|lib|suites|api)\//.test(file) || (file.endsWith('.ts') && !file.endsWith('.d.ts')) || file.endsWith('.spec.d.ts'));
    expect(unwanted).to.deep.equal([]);
  });

  it('npx pause-conformance --version prints the version; on an old Node the bin says so in one line', async function () {
    const result = await npx(['--version']);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stdout.trim()).to.equal(version);
    const old = await execa('/usr/bin/node', ['--version'], { reject: false });
    const [major, minor] = String(old.stdout).replace(/^v/, '').split('.').map(Number);
    if (old.exitCode !== 0 || major! > 22 || (major === 22 && minor! >= 22)) {
      console.log(`      skipped because: no Node older than 22.22 at /usr/bin/node to try (${String(old.stdout || old.stderr).trim() || 'none'})`);
      return;
    }
    const refused = await inProject('/usr/bin/node', [path.join(project, 'node_modules', '.bin', 'pause-conformance'), '--version']);
    expect(refused.exitCode).to.equal(2);
    expect(refused.stderr.trim()).to.match(/^pause-conformance: Node \d+\.\d+\.\d+ is too old: it needs Node >= 22\.22\. Install Node 24 \(or run `npm i -D node@24` in your project/);
    expect(refused.stderr.trim().split('\n')).to.have.length(1);
  });

  it('installs no testcontainers stack; --provider k3s says in one line what to install, before anything is made', async function () {
    const listed = await inProject('npm', ['ls', '--omit=optional', '--all', '--parseable']);
    expect(listed.stdout, 'npm ls lists the install').to.include('node_modules/pause-conformance');
    expect(listed.stdout.split('\n').filter((line) => /testcontainers|docker-modem|dockerode|[/]ssh2|cpu-features/.test(line))).to.deep.equal([]);
    const before = await machineState();
    const k3s = await npx(['run', '--provider', 'k3s']);
    const peers = (JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as Manifest).peerDependencies;
    expect(k3s.exitCode, k3s.stderr).to.equal(2);
    expect(k3s.stderr.trim().split('\n')).to.deep.equal([
      `pause-conformance: provider k3s needs testcontainers and @testcontainers/k3s, which are not installed: they are optional dependencies of pause-conformance, left out of a default install. Run \`npm i -D testcontainers@${peers['testcontainers']} @testcontainers/k3s@${peers['@testcontainers/k3s']}\` in your project, then run it again.`,
    ]);
    expect(k3s.stdout, 'nothing started').to.not.match(/^pause-conformance run /m);
    expect(await changesSince(before)).to.deep.equal([]);
  });

  it("runs the built-in IPC checks and the example's suite (--suites) on the embedded node, every check in every report file, nothing left", async function () {
    const before = await machineState();
    const result = await npx(['run', '--grep', `IPC|${TEAM_SUITE}`, '--suites', 'checks', '--report-dir', 'reports']);
    const output = String(result.stdout);
    expect(result.exitCode, `${output.split('\n').slice(-12).join('\n')}\n${result.stderr}`).to.equal(0);
    expect(result.stderr + output, 'no stack trace').to.not.match(STACK);
    expect(output).to.match(/^type check of 1 spec file\(s\) with .*\/project\/tsconfig\.json: no error/m);
    const report = JSON.parse(await readFile(path.join(project, 'reports', 'report.json'), 'utf8')) as Report;
    expect(report.tool.version).to.equal(version);
    expect(report.tool.node, 'Node 24 (the node devDependency), not the machine\'s').to.match(/^v24\./);
    const checks = report.targets.flatMap((target) => target.checks);
    const team = checks.filter((check) => check.suite === TEAM_SUITE);
    const builtIn = checks.filter((check) => check.suite === 'pause holds the IPC and UTS namespaces');
    expect(team.map((check) => [check.title, check.status])).to.deep.equal([
      ['every container reads the same /etc/hosts, from the same file', 'passed'],
      ["every container has the pod's hostname", 'passed'],
    ]);
    expect(team[1]!.evidence['summary']).to.equal('hostname sidecar-host in 2/2 containers');
    // The example's named step, through the installed package's step(), is in its check's evidence.
    expect((team[0]!.evidence['steps'] as Array<{ step: string }>).map((s) => s.step)).to.deep.equal(['read /etc/hosts and its device:inode in every container']);
    expect(builtIn.map((check) => check.status)).to.deep.equal(['passed', 'passed', 'passed']);
    const junit = await readFile(path.join(project, 'reports', 'junit.xml'), 'utf8');
    const summary = await readFile(path.join(project, 'reports', 'summary.md'), 'utf8');
    for (const check of [...team, ...builtIn]) {
      expect(junit, `junit.xml: ${check.title}`).to.include(`name="${check.title}"`);
      expect(summary, `summary.md: ${check.title}`).to.include(check.title);
    }
    expect(junit).to.include(TEAM_SUITE);
    expect(summary).to.include(TEAM_SUITE);
    expect((await readdir(path.join(project, 'reports'))).sort()).to.deep.equal(['junit.xml', 'lifecycle.svg', 'report.json', 'summary.md']);
    expect(report.teardown).to.deep.equal({ undoFailures: [], leaks: [] });
    expect(await residueOf(report.runId)).to.deep.equal([]);
    expect(await changesSince(before)).to.deep.equal([]);
  });
});
