/** Parsers of runtime inspect documents, on outputs recorded from a real containerd 1.6.20 node. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseContainerInspect, parseSandboxInspect, verboseInfo } from '../../lib/node/inspect-parsers.ts';
import { parseNamespaceLinks } from '../../lib/linux/ns-links.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');

describe('inspect parsers (recorded crictl output)', function () {
  it('reads pause pid, netns path, IP, modes and image from crictl inspectp of a READY sandbox', function () {
    const facts = parseSandboxInspect(JSON.parse(recorded('crictl-inspectp-trio.json')));
    expect(facts.id).to.equal('5989c68113b61441361f247db60d514e6b210bb087b4d917fcc3460b51a1c33e');
    expect(facts.state).to.equal('ready');
    expect(facts.pausePid).to.equal(20240);
    expect(facts.ip).to.equal('10.244.77.17');
    expect(facts.netnsPath).to.match(/^\/var\/run\/netns\/cni-e1cc76bc-/);
    expect(facts.namespaceModes).to.deep.equal({ network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
    expect(facts.image).to.equal('localhost/pause:catatonit');
    expect(facts.labels['io.kubernetes.pod.name']).to.equal('trio');
  });

  it('reports a sandbox whose pause was killed as notready with no pid and no IP', function () {
    const facts = parseSandboxInspect(JSON.parse(recorded('3a-after-crictl-inspectp-old-sandbox.json')));
    expect(facts.state).to.equal('notready');
    expect(facts.pausePid).to.equal(undefined);
    expect(facts.ip).to.equal('');
  });

  it('reads a container pid, sandbox and attempt from crictl inspect', function () {
    const facts = parseContainerInspect(JSON.parse(recorded('crictl-inspect-trio-alpha.json')));
    expect(facts).to.include({ state: 'running', pid: 20314, name: 'alpha', attempt: 0 });
    expect(facts.sandboxId).to.equal('5989c68113b61441361f247db60d514e6b210bb087b4d917fcc3460b51a1c33e');
  });

  it('accepts the CRI gRPC shape, where info is a JSON string under "info"', function () {
    const crictl = JSON.parse(recorded('crictl-inspectp-trio.json')) as { status: unknown; info: unknown };
    const grpcShape = { status: crictl.status, info: { info: JSON.stringify(crictl.info) } };
    expect(parseSandboxInspect(grpcShape)).to.deep.equal(parseSandboxInspect(crictl));
    expect(verboseInfo({ info: 'not json' })).to.deep.equal({});
  });

  it('parses namespace links and shows alpha sharing net, ipc, uts with pause but not pid', function () {
    const alpha = parseNamespaceLinks(recorded('ns-trio-alpha.txt'));
    const pause = parseNamespaceLinks(recorded('ns-trio-pause.txt'));
    expect(alpha.net).to.equal('net:[4026532177]');
    expect(alpha.net).to.equal(pause.net);
    expect(alpha.ipc).to.equal(pause.ipc);
    expect(alpha.uts).to.equal(pause.uts);
    expect(alpha.pid).to.not.equal(pause.pid);
  });
});
