/** Providers by name. A new provider is one file in lib/providers/ and one line here. */
import { UsageError } from '../errors.ts';
import { criProvider } from './cri.ts';
import { k3sProvider } from './k3s.ts';
import { kindProvider } from './kind.ts';
import { kubeconfigProvider } from './kubeconfig.ts';
import { localProvider } from './local.ts';
import { microk8sProvider } from './microk8s.ts';
import type { Provider } from './provider.ts';

const providers: Provider[] = [localProvider, criProvider, kindProvider, microk8sProvider, k3sProvider, kubeconfigProvider];

export function providerNames(): string[] {
  return providers.map((provider) => provider.name);
}

export function allProviders(): Provider[] {
  return [...providers];
}

export function providerNamed(name: string): Provider {
  const provider = providers.find((candidate) => candidate.name === name);
  if (!provider) throw new UsageError(`unknown provider "${name}"`, `known providers are ${providerNames().join(', ')}`, 'Pass one of them with --provider.');
  return provider;
}
