/**
 * The one place that reaches into @kubernetes/client-node past its public API. Its public Exec
 * takes the WebSocket handler it talks through; the default one writes to, and on a v5
 * close-stream frame ENDS, process.stdout and process.stderr, which would close the harness's own
 * output after the first exec. A handler made with our own streams is the only way around that,
 * and WebSocketHandler is not exported from the package's index. test/unit/client-node-internals.test.ts
 * fails loudly, naming this file, when an upgrade of client-node moves or reshapes it.
 */
import type { Readable, Writable } from 'node:stream';
import type { Exec, KubeConfig } from '@kubernetes/client-node';
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';

export interface ExecStreams {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** What Exec's constructor takes as its second argument: a handler bound to these streams. */
export type ExecHandler = NonNullable<ConstructorParameters<typeof Exec>[1]>;

export function execStreamHandler(kubeConfig: KubeConfig, streams: ExecStreams): ExecHandler {
  return new WebSocketHandler(kubeConfig, undefined, streams);
}
