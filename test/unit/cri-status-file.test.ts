/**
 * The CRI's status file of a container, as containerd 1.6.20, 1.7.24 and 2.1.9 wrote it on this
 * machine (fixtures/recorded/cri-container-status-files.txt): read as running or not, never as gone.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { criContainerStatusPath, criRootDirFromStatusInfo, exitRecordedInStatusFile, runningPerStatusFile } from '../../lib/node/cri-status-file.ts';

const RECORDED = path.join(import.meta.dirname, '..', '..', 'fixtures', 'recorded');
/** Per containerd version: the file at CreateContainer, then after the exit. */
function recordedByVersion(): Map<string, string[]> {
  const byVersion = new Map<string, string[]>();
  let version = '';
  for (const line of readFileSync(path.join(RECORDED, 'cri-container-status-files.txt'), 'utf8').split('\n')) {
    const header = /^# (\d+\.\d+\.\d+|running)\b/.exec(line);
    if (header) byVersion.set((version = header[1]!), []);
    else if (line.startsWith('{')) byVersion.get(version)!.push(line);
  }
  return byVersion;
}

describe('the CRI status file of a container', function () {
  it('reads a created container as not running and an exited one as not running, on 1.6, 1.7 and 2.1', function () {
    const byVersion = recordedByVersion();
    byVersion.delete('running');
    expect([...byVersion.keys()]).to.deep.equal(['1.6.20', '1.7.24', '2.1.9']);
    for (const [version, [created, exited]] of byVersion) {
      expect(runningPerStatusFile(created!), `${version} created`).to.equal(false);
      expect(runningPerStatusFile(exited!), `${version} exited`).to.equal(false);
    }
  });

  it('reads a started container without an exit as running', function () {
    expect(runningPerStatusFile(recordedByVersion().get('running')![0]!)).to.equal(true);
  });

  it('says nothing of a file it cannot read', function () {
    expect(runningPerStatusFile('')).to.equal(undefined);
    expect(runningPerStatusFile('{"Version":"v2","State":"running"}')).to.equal(undefined);
  });

  it('reads a file on disk as recording the exit only once it does, and a missing one as not', function () {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pc-cri-status-'));
    try {
      const file = path.join(dir, 'status');
      for (const [version, [created, exited]] of recordedByVersion()) {
        if (exited === undefined) continue;
        writeFileSync(file, created!);
        expect(exitRecordedInStatusFile(file), `${version} created`).to.equal(false);
        writeFileSync(file, exited);
        expect(exitRecordedInStatusFile(file), `${version} exited`).to.equal(true);
      }
      expect(exitRecordedInStatusFile(path.join(dir, 'no-such-status'))).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds the file under the CRI root containerd names in its Status info', function () {
    const info = JSON.parse(readFileSync(path.join(RECORDED, 'containerd-2.1.9-cri-status-verbose.json'), 'utf8')) as { info: Record<string, string> };
    const root = criRootDirFromStatusInfo(info.info);
    expect(root).to.equal('/var/lib/pause-conformance-research/runs/a21/root/io.containerd.grpc.v1.cri');
    expect(criContainerStatusPath(root!, 'abc')).to.equal(`${root}/containers/abc/status`);
    expect(criRootDirFromStatusInfo({ config: '{"rootDir":"/elsewhere"}' })).to.equal(undefined);
  });
});
