/** Fixture -> V1Pod for the kube driver: pinned, labelled, unique, the fixtures' app image replaced, the rest passed through. */
import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubePodFor } from '../../lib/pods/kube-manifest.ts';
import { loadPodManifest } from '../../lib/pods/manifest.ts';
import { podHostname } from '../../lib/pods/translate.ts';
import { LABEL_RUN, LABEL_FIXTURE } from '../../lib/labels.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'pods');

describe('kube manifest (fixture -> V1Pod)', function () {
  it('pins the trio to the node in the run namespace, labelled with run and fixture, under a unique name', async function () {
    const trio = await loadPodManifest(path.join(fixtures, 'trio.yaml'));
    const { manifest, body } = kubePodFor(trio, { namespace: 'pause-conformance-abcd1234', nodeName: 'vm', runId: 'abcd1234', nameSuffix: '1a2b3c' });
    expect(body.metadata).to.deep.include({ name: 'trio-1a2b3c', namespace: 'pause-conformance-abcd1234' });
    expect(body.metadata?.labels).to.include({ [LABEL_RUN]: 'abcd1234', [LABEL_FIXTURE]: 'trio', 'app.kubernetes.io/name': 'pause-conformance-trio' });
    expect(body.spec).to.deep.include({ nodeName: 'vm', hostname: 'trio-host', restartPolicy: 'Always', terminationGracePeriodSeconds: 2 });
    expect(body.spec?.tolerations).to.deep.equal([{ operator: 'Exists' }]);
    expect(body.spec?.containers.map((c) => [c.name, c.image, c.imagePullPolicy])).to.deep.equal([
      ['alpha', 'docker.io/library/busybox:1.36', 'IfNotPresent'],
      ['listener', 'docker.io/library/busybox:1.36', 'IfNotPresent'],
      ['gamma', 'docker.io/library/busybox:1.36', 'IfNotPresent'],
    ]);
    expect(body.spec?.containers[0]?.command).to.deep.equal(trio.spec.containers[0]?.command);
    // The applied manifest is what suites read back: its name is the pod's, its hostname the fixture's.
    expect(manifest.metadata.name).to.equal('trio-1a2b3c');
    expect(manifest.spec.nodeName).to.equal('vm');
    expect(podHostname(manifest)).to.equal('trio-host');
    expect(trio.metadata.name, 'the fixture itself is not changed').to.equal('trio');
  });

  it("rewrites the fixtures' app image with --app-image, as the CRI drivers do, and passes namespace flags through", async function () {
    const exits = await loadPodManifest(path.join(fixtures, 'exits.yaml'));
    exits.spec.shareProcessNamespace = true;
    exits.spec.hostIPC = false;
    const { manifest, body } = kubePodFor(exits, { namespace: 'ns', nodeName: 'n1', runId: 'r', nameSuffix: 'x', appImage: 'registry.local/busybox:1' });
    expect(new Set(body.spec?.containers.map((c) => c.image))).to.deep.equal(new Set(['registry.local/busybox:1']));
    expect(new Set(manifest.spec.containers.map((c) => c.image))).to.deep.equal(new Set(['registry.local/busybox:1']));
    expect(body.spec).to.deep.include({ shareProcessNamespace: true, hostIPC: false, restartPolicy: 'Never' });
    expect(body.spec).to.not.have.property('hostNetwork');
  });

  it('leaves an image that is not the fixtures\' app image as the fixture names it', async function () {
    const trio = await loadPodManifest(path.join(fixtures, 'trio.yaml'));
    trio.spec.containers[1]!.image = 'registry.local/other:2';
    const { manifest, body } = kubePodFor(trio, { namespace: 'ns', nodeName: 'n1', runId: 'r', nameSuffix: 'x', appImage: 'registry.local/busybox:1' });
    expect(body.spec?.containers.map((c) => c.image)).to.deep.equal(['registry.local/busybox:1', 'registry.local/other:2', 'registry.local/busybox:1']);
    expect(manifest.spec.containers.map((c) => c.image)).to.deep.equal(['registry.local/busybox:1', 'registry.local/other:2', 'registry.local/busybox:1']);
  });

  it('keeps names within a DNS label', async function () {
    const trio = await loadPodManifest(path.join(fixtures, 'trio.yaml'));
    trio.metadata.name = 'a'.repeat(60);
    const { body } = kubePodFor(trio, { namespace: 'ns', nodeName: 'n1', runId: 'r', nameSuffix: '123456' });
    expect(body.metadata?.name).to.have.length.at.most(63);
    expect(body.metadata?.name).to.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
