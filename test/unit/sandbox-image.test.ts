/**
 * Where a runtime tells its sandbox image, read from recorded outputs (fixtures/recorded/README.md):
 * containerd 1.6.20 names it in its CRI status; containerd 2.1.9 does not (the real node's
 * `crictl info` after its live upgrade), but pins it in its image list (even imported, as the
 * embedded research node recorded), its config dump names it, and its sandboxes name the image
 * they were made from.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseSandboxInspect } from '../../lib/node/inspect-parsers.ts';
import { parseCrictlInfo } from '../../lib/node/crictl-parsers.ts';
import {
  commonSandboxImage,
  configDumpSandboxImage,
  imageIdFromCtrImagesLs,
  parseImageList,
  pinnedSandboxImage,
  resolveSandboxImage,
  type SandboxImageSource,
} from '../../lib/node/sandbox-image.ts';
import { sandboxImageFromStatusInfo } from '../../lib/providers/common/runtime-info.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');
const json = (name: string): unknown => JSON.parse(recorded(name));

const PAUSE_21 = 'localhost/pause-conformance/pause:catatonit';
const PAUSE_21_ID = 'sha256:af2deff36e5822c72cf89dec3682c79ad1c36b2f41dadbfa0f39ffd26d19dbe0';

describe('the sandbox image, from wherever the runtime tells it', function () {
  it('containerd 2.1.9 reports no sandbox image in its status (real node crictl info; embedded node Status verbose)', function () {
    expect(parseCrictlInfo(recorded('crictl-info-containerd-2.1.9.json')).sandboxImage).to.equal(undefined);
    expect(sandboxImageFromStatusInfo((json('containerd-2.1.9-cri-status-verbose.json') as { info: Record<string, string> }).info)).to.equal(undefined);
    expect(parseCrictlInfo(recorded('crictl-info.json')).sandboxImage, 'containerd 1.6.20 still does').to.equal('localhost/pause:catatonit');
  });

  it('reads the one pinned image and its id from the image list: containerd 2.1.9 pins it, 1.6.20 pins nothing', function () {
    expect(pinnedSandboxImage(parseImageList(json('containerd-2.1.9-cri-list-images.json')))).to.deep.equal({ image: PAUSE_21, id: PAUSE_21_ID });
    expect(pinnedSandboxImage(parseImageList(json('containerd-1.6.20-cri-list-images.json')))).to.deep.equal({ why: 'no image is pinned' });
    expect(pinnedSandboxImage(parseImageList(json('crictl-images.json'))), 'crictl images -o json of the 1.6.20 node').to.deep.equal({ why: 'no image is pinned' });
    const two = parseImageList(json('containerd-2.1.9-cri-list-images.json')).map((image) => ({ ...image, pinned: true }));
    expect(pinnedSandboxImage(two)).to.deep.equal({ why: `2 images are pinned (${PAUSE_21}, localhost/pause-conformance/busybox:static)` });
  });

  it("reads containerd's config dump only when it describes the runtime's own socket", function () {
    // `containerd config default` of 2.1.9: the same printer as `config dump`, version-3 TOML.
    const toml = recorded('containerd-2.1.9-config-default.toml');
    expect(configDumpSandboxImage(toml, '/run/containerd/containerd.sock')).to.deep.equal({ image: 'registry.k8s.io/pause:3.10' });
    expect(configDumpSandboxImage(toml, '/run/k3s/containerd/containerd.sock')).to.deep.equal({ why: 'the dump is of a containerd serving /run/containerd/containerd.sock, not /run/k3s/containerd/containerd.sock' });
    expect(configDumpSandboxImage(toml, undefined)).to.have.property('why');
  });

  it('reads the image a sandbox was made from (containerd 2.1.9 PodSandboxStatus verbose)', function () {
    const image = parseSandboxInspect(json('containerd-2.1.9-cri-pod-sandbox-status-verbose.json')).image!;
    expect(image).to.equal(PAUSE_21);
    expect(commonSandboxImage([image, image, 'other:1'])).to.deep.equal({ image, count: 2, of: 3 });
  });

  it('finds the image id in `ctr images ls` (the CRI keeps a sha256:<id> reference to the same manifest)', function () {
    expect(imageIdFromCtrImagesLs(recorded('containerd-2.1.9-ctr-images-ls.txt'), PAUSE_21)).to.equal(PAUSE_21_ID);
    expect(imageIdFromCtrImagesLs(recorded('ctr-images-ls.txt'), 'localhost/pause:catatonit')).to.equal('sha256:9f5329699b88427d4f8a81dd9f370fe41f49b7f1acf0a55f7ce07ce1cb9272ac');
    expect(imageIdFromCtrImagesLs(recorded('ctr-images-ls.txt'), 'registry.k8s.io/pause:3.10')).to.equal(undefined);
  });

  it('takes the first source that names the image, says which, and what each said when none does', async function () {
    const said = (describe: string, finding: Awaited<ReturnType<SandboxImageSource['read']>>): SandboxImageSource => ({ describe, read: async () => finding });
    const noId = async (): Promise<undefined> => undefined;
    const facts = await resolveSandboxImage(
      [said('status', { why: 'not reported' }), said('dump', undefined), said('pinned', pinnedSandboxImage(parseImageList(json('containerd-2.1.9-cri-list-images.json')))), said('sandboxes', { image: 'never:asked' })],
      noId,
    );
    expect(facts).to.deep.equal({ sandboxImage: PAUSE_21, sandboxImageSource: 'pinned', sandboxImageId: PAUSE_21_ID, sandboxImageIdSource: 'pinned' });
    const unknown = await resolveSandboxImage([said('status', { why: 'not reported' }), { describe: 'images', read: () => Promise.reject(new Error('exit 1: boom')) }], noId);
    expect(unknown).to.deep.equal({ sandboxImageUnknown: 'status: not reported; images: failed: exit 1: boom' });
    const withId = await resolveSandboxImage([said('sandboxes', { image: PAUSE_21 })], async (image) => ({ id: `id-of-${image}`, source: 'ImageStatus' }));
    expect(withId).to.deep.include({ sandboxImageId: `id-of-${PAUSE_21}`, sandboxImageIdSource: 'ImageStatus' });
  });
});
