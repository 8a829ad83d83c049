/** Providers by name. A new provider is one folder in lib/providers/ and one entry in this list (with its import). */
import { UsageError } from '../errors.ts';
import { criProvider } from './cri/cri-provider.ts';
import { k3sProvider } from './k3s/k3s-provider.ts';
import { kindProvider } from './kind/kind-provider.ts';
import { kubeconfigProvider } from './kubeconfig/kubeconfig-provider.ts';
import { localProvider } from './local/local-provider.ts';
import { microk8sProvider } from './microk8s/microk8s-provider.ts';
import type { Provider } from './provider.ts';

const providers: Provider[] = [localProvider, criProvider, kindProvider, microk8sProvider, k3sProvider, kubeconfigProvider];

export function allProviders(): Provider[] {
  return [...providers];
}

export function providerNamed(name: string, among: Provider[] = providers): Provider {
  const provider = among.find((candidate) => candidate.name === name);
  if (!provider) throw new UsageError(`unknown provider "${name}"`, `known providers are ${among.map((known) => known.name).join(', ')}`, 'Pass one of them with --provider.');
  return provider;
}
