/** Flagging nodes whose sandbox image differs from the one most nodes use. */
import { expect } from 'chai';
import { describeDrift, sandboxImageDrift } from '../../lib/report/sandbox-image-drift.ts';

const node = (nodeName: string, sandboxImage: string, sandboxImageId?: string) => ({ info: { nodeName, sandboxImage, ...(sandboxImageId ? { sandboxImageId } : {}) } });

describe('sandbox image drift between nodes', function () {
  it('one node, or all nodes alike: nothing flagged', function () {
    expect(sandboxImageDrift([node('a', 'registry.k8s.io/pause:3.10')]).outliers).to.deep.equal([]);
    const same = sandboxImageDrift([node('a', 'p:1', 'sha256:1'), node('b', 'p:1', 'sha256:1'), node('c', 'p:1')]);
    expect(same.outliers).to.deep.equal([]);
    expect(describeDrift(same)).to.equal('');
  });

  it('flags the node with another reference', function () {
    const drift = sandboxImageDrift([node('a', 'registry.k8s.io/pause:3.10'), node('b', 'registry.k8s.io/pause:3.9'), node('c', 'registry.k8s.io/pause:3.10')]);
    expect(drift.majority).to.deep.equal({ sandboxImage: 'registry.k8s.io/pause:3.10', nodes: 2 });
    expect(drift.outliers).to.deep.equal([{ nodeName: 'b', sandboxImage: 'registry.k8s.io/pause:3.9', differs: 'reference' }]);
    expect(describeDrift(drift)).to.equal('sandbox image differs between nodes: b uses registry.k8s.io/pause:3.9; the other 2 of 3 nodes use registry.k8s.io/pause:3.10');
  });

  it('flags the same tag with another id (a re-pushed tag)', function () {
    const drift = sandboxImageDrift([node('a', 'p:3.10', 'sha256:aaa'), node('b', 'p:3.10', 'sha256:bbb'), node('c', 'p:3.10', 'sha256:aaa')]);
    expect(drift.outliers).to.deep.equal([{ nodeName: 'b', sandboxImage: 'p:3.10', sandboxImageId: 'sha256:bbb', differs: 'id' }]);
    expect(describeDrift(drift)).to.include('b uses p:3.10 (id sha256:bbb)');
  });

  it('with no majority, every node is flagged', function () {
    const drift = sandboxImageDrift([node('a', 'p:1'), node('b', 'p:2')]);
    expect(drift.majority).to.equal(undefined);
    expect(drift.outliers.map((o) => o.nodeName)).to.deep.equal(['a', 'b']);
    expect(describeDrift(drift)).to.include('no sandbox image is shared by most of the 2 nodes');
  });
});
