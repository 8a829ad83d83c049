/**
 * A kubeconfig a cluster tool printed (`kind get kubeconfig`, `microk8s config`, k3s'
 * getKubeConfig()), loaded into memory only: never written to a file, never quoted. It holds
 * credentials, so a failure names the command that printed it and client-node's first line, not
 * the text.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { EnvironmentError, messageOf } from '../../errors.ts';

/** `what` names the kubeconfig in the message ("the kubeconfig of kind cluster x"); `todo` says what to check. */
export function kubeConfigFromText(text: string, what: string, todo: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromString(text);
  } catch (error) {
    throw new EnvironmentError(`${what} could not be read`, messageOf(error).split('\n')[0] ?? 'parse error', todo);
  }
  return kubeConfig;
}
