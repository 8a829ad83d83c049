/** Image status parsing, on the CRI ImageStatus(verbose) answer recorded from the embedded node's containerd 1.6.20. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseImageInspect } from '../../lib/node/image-inspect.ts';
import { verboseInfo } from '../../lib/node/inspect-parsers.ts';

const recorded = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8'));

describe('parseImageInspect (recorded CRI ImageStatus)', function () {
  it('reads id, tags and the config entrypoint from the gRPC shape', function () {
    const facts = parseImageInspect(recorded('cri-imagestatus-verbose-pause.json'));
    expect(facts).to.deep.equal({
      id: 'sha256:a79d2b505d03671ff7f5164671217feda0aa8aedd0396bdfa8560350fb637251',
      repoTags: ['localhost/pause-conformance/pause:catatonit'],
      repoDigests: [],
      entrypoint: ['/pause', '-P'],
      cmd: [],
    });
  });

  it('reads the same facts from the crictl inspecti shape ({status, info: {imageSpec}})', function () {
    const grpc = recorded('cri-imagestatus-verbose-pause.json') as { image: unknown; info: unknown };
    const crictlShape = { status: grpc.image, info: verboseInfo(grpc.info) };
    expect(parseImageInspect(crictlShape)).to.deep.equal(parseImageInspect(grpc));
  });

  it('returns undefined for an image the runtime does not have (containerd answers image null)', function () {
    expect(parseImageInspect(recorded('cri-imagestatus-verbose-unknown.json'))).to.equal(undefined);
  });
});
