/**
 * The private Docker engine of the node-container tests survives the test that started it when
 * that test is SIGKILLed (dockerd runs in a session of its own): the next start must find it by its
 * pidfile, stop it and remove what it left, and then nothing of either engine may remain.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { onPath } from '../../lib/providers/common/on-path.ts';
import { hasExited, readProcStat } from '../../lib/linux/proc-stat.ts';
import { cliPath, REPO } from './helpers/cli.ts';
import { engineResidue } from './helpers/docker/engine-residue.ts';
import { startPrivateEngine } from './helpers/docker/private-engine.ts';

describe('the private Docker engine after a SIGKILLed test', function () {
  it('is stopped by the next start, which says so; then nothing of either engine is left', async function () {
    if (process.getuid?.() !== 0 || !onPath('dockerd', `${process.env['PATH']}:/usr/sbin`)) {
      console.log('      (skipped: needs root and dockerd)');
      this.skip();
    }
    this.timeout(120_000);
    const killed = execa('node', [path.join(REPO, 'test', 'integration', 'helpers', 'docker', 'engine-then-wait.ts')], { cwd: REPO, env: { PATH: cliPath() }, reject: false });
    const stalePid = await new Promise<number>((resolve, reject) => {
      killed.stdout!.on('data', (chunk: Buffer) => {
        const match = /^engine (\d+)$/m.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      });
      void killed.then((result) => reject(new Error(`the engine starter exited first (exit ${result.exitCode ?? 'none'}): ${String(result.stderr).trim()}`)));
    });
    killed.kill('SIGKILL');
    await killed;
    const stale = await readProcStat(stalePid);
    expect(stale !== undefined && !hasExited(stale), 'the killed test left its dockerd running').to.equal(true);

    const said: string[] = [];
    const engine = await startPrivateEngine((line) => said.push(line));
    const left = await engine.stop();
    expect(said.join('\n')).to.match(new RegExp(`^stopped the private engine a killed test left \\(dockerd pid ${stalePid};`));
    expect(await readProcStat(stalePid).then((stat) => stat !== undefined && !hasExited(stat)), 'the stale dockerd').to.equal(false);
    expect(left).to.deep.equal([]);
    expect(await engineResidue()).to.deep.equal([]);
  });
});
