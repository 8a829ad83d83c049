/**
 * The Kubernetes API clients the harness uses, each call bounded: client-node 2.x has no default
 * request timeout, so every call gets an AbortSignal through a request middleware, and a hung API
 * server ends in an error instead of a hung run.
 */
import { CoreV1Api, KubeConfig, Observable, VersionApi, type ConfigurationOptions, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Per-call options that abort the request after `ms` (appended to client-node's own middleware). */
export function requestTimeout(ms: number = DEFAULT_REQUEST_TIMEOUT_MS): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (request: RequestContext) => {
          request.setSignal(AbortSignal.timeout(ms));
          return new Observable(Promise.resolve(request));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

export class KubeApi {
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly version: VersionApi;

  constructor(kubeConfig: KubeConfig) {
    this.kubeConfig = kubeConfig;
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.version = kubeConfig.makeApiClient(VersionApi);
  }
}
