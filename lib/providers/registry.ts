/**
 * Providers by name. A new provider is one folder in lib/providers/ and one entry in this list.
 * local and cri are imported as they are; the cluster providers are held by their declarations
 * and load when a run chooses them (lazyProvider): they bring the Kubernetes client (83 MB,
 * 1-1.6 s to import) and k3s the testcontainers stack, which a local or cri run never needs.
 */
import { UsageError } from '../errors.ts';
import { criProvider } from './cri/cri-provider.ts';
import { k3sDeclaration } from './k3s/k3s-declaration.ts';
import { kindDeclaration } from './kind/kind-declaration.ts';
import { kubeconfigDeclaration } from './kubeconfig/kubeconfig-declaration.ts';
import { localProvider } from './local/local-provider.ts';
import { microk8sDeclaration } from './microk8s/microk8s-declaration.ts';
import { lazyProvider, type Provider } from './provider.ts';

const providers: Provider[] = [
  localProvider,
  criProvider,
  lazyProvider(kindDeclaration, async () => (await import('./kind/kind-provider.ts')).kindProvider),
  lazyProvider(microk8sDeclaration, async () => (await import('./microk8s/microk8s-provider.ts')).microk8sProvider),
  lazyProvider(k3sDeclaration, async () => (await import('./k3s/k3s-provider.ts')).k3sProvider),
  lazyProvider(kubeconfigDeclaration, async () => (await import('./kubeconfig/kubeconfig-provider.ts')).kubeconfigProvider),
];

export function allProviders(): Provider[] {
  return [...providers];
}

export function providerNamed(name: string, among: Provider[] = providers): Provider {
  const provider = among.find((candidate) => candidate.name === name);
  if (!provider) throw new UsageError(`unknown provider "${name}"`, `known providers are ${among.map((known) => known.name).join(', ')}`, 'Pass one of them with --provider.');
  return provider;
}
