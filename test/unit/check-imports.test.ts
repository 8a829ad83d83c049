/**
 * The import check (scripts/check-imports.ts, `npm run check:imports`) on small trees made for
 * the purpose: it must name a circle, an upward and a sideways arrow, a lib/ file importing
 * suites/, a suite importing a provider and a file in no layer, and pass the repository itself.
 */
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkImports, relativeImports } from '../../scripts/check-imports.ts';

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'pc-imports-'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return root;
}

describe('import check', function () {
  const roots: string[] = [];
  after(async function () {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  it('reads every form of relative import, type-only and multi-line ones too, and nothing in strings', function () {
    const source = [
      "import { a } from './a.ts';",
      "import type { B } from '../b/b.ts';",
      'import {\n  c,\n  d,\n} from "./c.ts";',
      "export { e } from './e.ts';",
      "import './side-effect.ts';",
      "const f = await import('./f.ts');",
      "import { g } from 'node:fs';",
      "const text = 'not from ./h.ts';",
    ].join('\n');
    expect(relativeImports(source).sort()).to.deep.equal(['../b/b.ts', './a.ts', './c.ts', './e.ts', './f.ts', './side-effect.ts']);
  });

  it('names each offending edge', async function () {
    const root = await tree({
      'lib/errors.ts': "import { x } from './kube/api.ts';\n",
      'lib/kube/api.ts': "import { y } from '../pods/driver.ts';\n",
      'lib/pods/driver.ts': "import { z } from '../node/view.ts';\nimport { w } from '../../suites/context.ts';\n",
      'lib/node/view.ts': "export const v = 1;\n",
      'lib/providers/kind/kind-provider.ts': "import { l } from '../local/local-provider.ts';\n",
      'lib/providers/local/local-provider.ts': 'export const l = 1;\n',
      'lib/stray.ts': 'export const s = 1;\n',
      'suites/context.ts': "import { k } from '../lib/providers/kind/kind-provider.ts';\n",
      'suites/010-first.spec.ts': 'export const s = 1;\n',
      'api/index.ts': "import { s } from '../suites/010-first.spec.ts';\n",
      'bench/uses-api.ts': "import { a } from '../api/index.ts';\n",
    });
    roots.push(root);
    const problems = checkImports(root);
    expect(problems).to.include('lib/stray.ts: in no layer (give its folder a layer in scripts/check-imports.ts)');
    expect(problems).to.include('lib/kube/api.ts -> lib/pods/driver.ts: upward (lib/kube/, layer 2 "cri and kube", imports lib/pods/, layer 3 "node and pods")');
    expect(problems).to.include('lib/errors.ts -> lib/kube/api.ts: upward (lib/errors.ts, layer 0 "words", imports lib/kube/, layer 2 "cri and kube")');
    expect(problems).to.include('lib/pods/driver.ts -> lib/node/view.ts: sideways (lib/pods/, layer 3 "node and pods", imports lib/node/, layer 3 "node and pods")');
    expect(problems).to.include('lib/providers/kind/kind-provider.ts -> lib/providers/local/local-provider.ts: sideways (lib/providers/kind/, layer 11 "providers", imports lib/providers/local/, layer 11 "providers")');
    expect(problems).to.include('lib/pods/driver.ts -> suites/context.ts: lib/ imports suites/ (the library runs the suites, it must not depend on them)');
    expect(problems).to.include('suites/context.ts -> lib/providers/kind/kind-provider.ts: a suite imports how its target is made (a suite sees only the Target)');
    expect(problems).to.include('bench/uses-api.ts -> api/index.ts: imports the package API (api/ is the top: the project stands on lib/, never on its API)');
    expect(problems).to.include('api/index.ts -> suites/010-first.spec.ts: the API imports a suite (suites are run, not imported)');
  });

  it('names a circle by the files it passes through', async function () {
    const root = await tree({
      'lib/node/a.ts': "import { b } from './b.ts';\n",
      'lib/node/b.ts': "import type { C } from './c.ts';\n",
      'lib/node/c.ts': "import { a } from './a.ts';\n",
    });
    roots.push(root);
    expect(checkImports(root)).to.deep.equal(['circle: lib/node/a.ts -> lib/node/b.ts -> lib/node/c.ts -> lib/node/a.ts']);
  });

  it('finds nothing wrong with this repository', function () {
    expect(checkImports()).to.deep.equal([]);
  });
});
