/**
 * Our check: in a pod with a sidecar, every container sees the same /etc/hosts (the same file,
 * which the runtime or the kubelet writes once per pod, not a copy per container) and the pod's
 * hostname. A sidecar that resolves names differently from its app breaks in ways that are slow
 * to find.
 */
import { evidence, execText, expect, podHostname, step, target, usePod } from 'pause-conformance';

describe('a pod with a sidecar: every container sees the same /etc/hosts and hostname', function () {
  // Our own fixture, beside the built-in ones: a URL relative to this file.
  const pod = usePod(new URL('../fixtures/sidecar.yaml', import.meta.url));

  it('every container reads the same /etc/hosts, from the same file', async function () {
    const ev = evidence(this);
    // A named step: its time goes into the evidence, and a failure inside it names it.
    const seen = await step(this, 'read /etc/hosts and its device:inode in every container', () => Promise.all(
      pod().containers.map(async (container) => ({
        name: container.name,
        // Device and inode as the container sees them: one file bind-mounted into each gives one pair.
        file: await execText(target(), pod(), container.name, ['stat', '-L', '-c', '%d:%i', '/etc/hosts']),
        text: await execText(target(), pod(), container.name, ['cat', '/etc/hosts']),
      })),
    ));
    ev['containers'] = seen.map(({ name, file }) => ({ name, file }));
    ev['etcHosts'] = seen[0]?.text ?? '';
    const files = new Set(seen.map((s) => s.file));
    const texts = new Set(seen.map((s) => s.text));
    ev['summary'] = `${seen.length} containers: ${files.size} /etc/hosts file(s) (${[...files].join(', ')}), ${texts.size} distinct content(s)`;
    expect(seen.length, 'containers in the pod').to.equal(2);
    expect([...texts], 'the content of /etc/hosts in every container').to.have.length(1);
    expect([...files], 'the /etc/hosts file (device:inode) of every container').to.have.length(1);
  });

  it("every container has the pod's hostname", async function () {
    const ev = evidence(this);
    const expected = podHostname(pod().manifest);
    const names = await Promise.all(pod().containers.map((container) => execText(target(), pod(), container.name, ['hostname'])));
    ev['expected'] = expected;
    ev['hostnames'] = Object.fromEntries(pod().containers.map((container, i) => [container.name, names[i]]));
    ev['summary'] = `hostname ${expected} in ${names.filter((name) => name === expected).length}/${names.length} containers`;
    for (const [i, container] of pod().containers.entries()) expect(names[i], `hostname in ${container.name}`).to.equal(expected);
  });
});
