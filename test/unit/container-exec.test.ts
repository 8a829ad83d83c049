/**
 * The node-container shells' shared rules (lib/node/shells/container-exec.ts) on what the engines
 * really answer: a command missing in the container (recorded through `docker exec`, and through
 * the exec API as testcontainers returns it) and the in-container kill of a command past its
 * deadline. Both shells run against a real engine in test/integration/node-container.test.ts.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { EXEC_MARKER_VARIABLE, killMarkedArgv, newExecMarker, reportMissingCommand } from '../../lib/node/shells/container-exec.ts';
import { containerExecArgs } from '../../lib/node/shells/container-exec-shell.ts';
import { pollUntil } from '../../lib/wait.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');

describe('node-container shells', function () {
  describe('a command missing in the container', function () {
    const dockerExec = {
      stdout: recorded('node-container-docker-exec-missing-command.stdout.txt').trimEnd(),
      stderr: recorded('node-container-docker-exec-missing-command.stderr.txt').trimEnd(),
      exitCode: Number(recorded('node-container-docker-exec-missing-command.exitcode.txt')),
    };

    it('is exit 127 with the engine\'s words on stderr (docker exec: 126)', function () {
      expect(dockerExec.exitCode).to.equal(126);
      const result = reportMissingCommand(['crictl', 'version'], dockerExec);
      expect(result.exitCode).to.equal(127);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(/^OCI runtime exec failed: .*exec: "crictl": executable file not found in \$PATH: unknown$/);
    });

    it('is exit 127 through the exec API too, where the words come on stdout with \\r\\n', function () {
      // As testcontainers returned it from the same engine (research recording tc-ryuk-disabled.txt).
      const api = { stdout: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "crictl": executable file not found in $PATH: unknown\r\n', stderr: '', exitCode: 126 };
      expect(reportMissingCommand(['crictl', 'version'], api)).to.deep.include({ exitCode: 127, stdout: '' });
    });

    it('leaves every other exit alone: a 126 about another file, a command that ran and failed', function () {
      const other = { ...dockerExec, stdout: dockerExec.stdout.replace('"crictl"', '"ctr"'), stderr: dockerExec.stderr.replace('"crictl"', '"ctr"') };
      expect(reportMissingCommand(['crictl', 'version'], other).exitCode).to.equal(126);
      const ran = { stdout: '', stderr: 'crictl: connection refused', exitCode: 1 };
      expect(reportMissingCommand(['crictl', 'version'], ran)).to.equal(ran);
    });
  });

  describe('a command past its deadline', function () {
    it('carries a marker in its environment, outside the pasteable command', function () {
      const marker = newExecMarker();
      expect(marker).to.match(new RegExp(`^${EXEC_MARKER_VARIABLE}=[0-9a-f-]{36}$`));
      expect(containerExecArgs('node', ['sleep', '9'], marker)).to.deep.equal(['exec', '--privileged', '--env', marker, 'node', 'sleep', '9']);
      expect(containerExecArgs('node', ['sleep', '9'])).to.deep.equal(['exec', '--privileged', 'node', 'sleep', '9']);
    });

    it('is killed by the marker, with what it started, and nothing else (the kill script run here)', async function () {
      const marker = newExecMarker();
      const [variable, value] = marker.split('=') as [string, string];
      const marked = execa('sh', ['-c', 'sleep 37 & wait'], { env: { [variable]: value }, reject: false });
      const unmarked = execa('sleep', ['38'], { reject: false });
      try {
        // sh may not have started its sleep yet at the first round: kill until both (sh, sleep) were taken.
        const [file, ...args] = killMarkedArgv(marker);
        const killed: string[] = [];
        await pollUntil(async () => {
          killed.push(...(await execa(file!, args)).stdout.split('\n').filter(Boolean));
          return killed.length >= 2 ? { done: true, value: undefined } : { done: false, seen: `killed so far: ${killed.join(', ') || 'none'}` };
        }, { awaited: 'the marked sh and its sleep killed', timeoutMs: 5000, intervalMs: 20 });
        expect(killed.map(Number)).to.include(marked.pid);
        expect(killed).to.have.length(2);
        expect((await marked).signal).to.equal('SIGKILL');
        expect(() => process.kill(unmarked.pid!, 0), 'the unmarked process lives').to.not.throw();
      } finally {
        unmarked.kill('SIGKILL');
        await unmarked;
      }
    });
  });
});
