/**
 * What the registry and the command line know of provider `k3s` before it is chosen. Its start
 * (k3s-provider.ts) loads only when a run asks for it; it needs the testcontainers stack, an
 * optional peer dependency that a default install leaves out (a Docker client with native
 * builds): `needs` has the command line say what to install, before anything is made.
 */
import { text } from '../../options.ts';
import { CLUSTER_OPTIONS, CRICTL_OPTIONS } from '../cluster/cluster-options.ts';
import type { ProviderDeclaration } from '../provider.ts';

/**
 * The image @testcontainers/k3s 12.1.0 runs in its own tests: line 1 of
 * packages/modules/k3s/Dockerfile at its release commit 457707f3 ("v12.1.0") is
 * `FROM rancher/k3s:v1.36.2-k3s1`. The module itself has no default (its constructor takes the
 * image), and its npm tarball does not ship that Dockerfile. --k3s-image picks another.
 */
export const DEFAULT_K3S_IMAGE = 'rancher/k3s:v1.36.2-k3s1';

export const k3sDeclaration = {
  name: 'k3s',
  summary: 'a K3s cluster in a container started by @testcontainers/k3s (--k3s-image to pick the image)',
  needs: ['testcontainers', '@testcontainers/k3s'],
  options: {
    k3sImage: text('REF', 'the K3s server image', DEFAULT_K3S_IMAGE),
    ...CLUSTER_OPTIONS,
    ...CRICTL_OPTIONS,
  },
} satisfies ProviderDeclaration;
