import { packageManifest } from '../package-root.ts';

export function packageVersion(): string {
  return packageManifest().version;
}
