/**
 * ShellNodeView.link on this machine follows a link by its sysfs files once it has been listed
 * (no `ip` process per poll). Its answers must stay those of a fresh `ip -j link show`: for the
 * links that exist, and for a link that is renamed, given a master, or deleted while followed.
 * The changing link is a veth pair made for the test (root only) and deleted afterwards.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { parseIpLinkJson } from '../../lib/linux/ip-link.ts';
import type { RuntimeInspector } from '../../lib/node/runtime-inspector.ts';
import { ShellNodeView } from '../../lib/node/shell-node-view.ts';
import type { HostLink } from '../../lib/node/node-view.ts';
import { LocalShell } from '../../lib/node/shells/local-shell.ts';

/** link() never asks the runtime; a view over the local shell needs no inspector that works. */
const noRuntime: RuntimeInspector = {
  sandbox: () => Promise.reject(new Error('not used')),
  containers: () => Promise.reject(new Error('not used')),
  container: () => Promise.reject(new Error('not used')),
};

async function listed(ifindex: number): Promise<HostLink | undefined> {
  const { stdout } = await execa('ip', ['-j', 'link', 'show']);
  return parseIpLinkJson(stdout).find((link) => link.ifindex === ifindex);
}

async function ip(...args: string[]): Promise<void> {
  await execa('ip', args);
}

describe('ShellNodeView.link on the local shell (sysfs once listed)', function () {
  const suffix = randomBytes(3).toString('hex');
  const names = { link: `pcut${suffix}`, peer: `pcup${suffix}`, renamed: `pcuu${suffix}`, bridge: `pcub${suffix}` };

  after(async function () {
    for (const name of Object.values(names)) await execa('ip', ['link', 'del', name], { reject: false });
  });

  it('answers every existing link as ip does, on the first (listing) and the second (sysfs) call', async function () {
    const view = new ShellNodeView(noRuntime, new LocalShell());
    const { stdout } = await execa('ip', ['-j', 'link', 'show']);
    for (const link of parseIpLinkJson(stdout)) {
      expect(await view.link(link.ifindex), `${link.name} first`).to.deep.equal(await listed(link.ifindex));
      expect(await view.link(link.ifindex), `${link.name} second`).to.deep.equal(await listed(link.ifindex));
    }
  });

  it('follows a link through a new master, a rename and its deletion', async function () {
    if (process.getuid?.() !== 0) {
      process.stdout.write('      skipped because: making a veth pair needs root\n');
      this.skip();
    }
    const view = new ShellNodeView(noRuntime, new LocalShell());
    await ip('link', 'add', names.link, 'type', 'veth', 'peer', 'name', names.peer);
    const ifindex = parseIpLinkJson((await execa('ip', ['-j', 'link', 'show', names.link])).stdout)[0]!.ifindex;
    const steps: [string, () => Promise<void>][] = [
      ['made', async () => undefined],
      ['enslaved to a bridge', async () => {
        await ip('link', 'add', names.bridge, 'type', 'bridge');
        await ip('link', 'set', names.link, 'master', names.bridge);
      }],
      ['renamed', () => ip('link', 'set', names.link, 'name', names.renamed)],
      ['deleted', () => ip('link', 'del', names.renamed)],
    ];
    for (const [what, change] of steps) {
      await change();
      const expected = await listed(ifindex);
      expect(await view.link(ifindex), what).to.deep.equal(expected);
      expect(await view.link(ifindex), `${what}, asked again`).to.deep.equal(expected);
    }
    expect(await view.link(ifindex)).to.equal(undefined);
  });
});
