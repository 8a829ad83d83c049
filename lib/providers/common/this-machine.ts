/** This machine as a Kubernetes node would name it: its hostname and every address of its interfaces. */
import os from 'node:os';
import type { MachineIdentity } from '../../kube/nodes.ts';

export function thisMachine(): MachineIdentity {
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .flatMap((entry) => (entry ? [entry.address] : []));
  return { hostname: os.hostname(), addresses };
}
