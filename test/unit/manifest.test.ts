/** Pod manifest parsing: real manifests load; malformed ones give one line naming the problem. */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parsePodManifest } from '../../lib/pods/manifest.ts';
import { UsageError } from '../../lib/errors.ts';

const podsDir = new URL('../../fixtures/pods/', import.meta.url);

function problem(text: string): string {
  try {
    parsePodManifest(text, 'bad.yaml');
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    const message = (error as Error).message;
    expect(message.split('\n'), 'one line').to.have.length(1);
    return message;
  }
  throw new Error('expected the manifest to be refused');
}

describe('pod manifests', function () {
  it('loads every fixture in fixtures/pods', function () {
    const files = readdirSync(podsDir).filter((name) => name.endsWith('.yaml'));
    expect(files.length).to.be.greaterThan(0);
    for (const file of files) {
      const manifest = parsePodManifest(readFileSync(new URL(file, podsDir), 'utf8'), file);
      expect(manifest.spec.containers.length, file).to.be.greaterThan(0);
    }
  });

  it('refuses YAML that does not parse', function () {
    expect(problem('apiVersion: v1\nkind: Pod\nmetadata: {name: x\n')).to.match(/^fixture bad\.yaml is not valid YAML: /);
  });

  it('refuses a document that is not a v1 Pod', function () {
    expect(problem('apiVersion: apps/v1\nkind: Deployment\n')).to.contain('only apiVersion v1, kind Pod');
  });

  it('names the field that is wrong', function () {
    const base = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n';
    expect(problem(base + '  containers: []\n')).to.contain('spec.containers must be a non-empty list');
    expect(problem(base + '  containers:\n  - name: a\n')).to.contain('spec.containers[0].image');
    expect(problem(base + '  containers:\n  - {name: A_B, image: x}\n')).to.contain('spec.containers[0].name must be a DNS label');
    expect(problem(base + '  containers:\n  - {name: a, image: x, command: sh}\n')).to.contain('spec.containers[0].command must be a list of strings');
    expect(problem(base + '  restartPolicy: Sometimes\n  containers:\n  - {name: a, image: x}\n')).to.contain('spec.restartPolicy');
    expect(problem(base + '  containers:\n  - {name: a, image: x}\n  - {name: a, image: y}\n')).to.contain('same name');
    expect(problem(base + '  terminationGracePeriodSeconds: -1\n  containers:\n  - {name: a, image: x}\n')).to.contain('terminationGracePeriodSeconds');
  });
});
