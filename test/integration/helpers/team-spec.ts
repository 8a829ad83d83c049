/** A team's spec folder for the tests: one check that records the node of its run, through the package API. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './temp-dirs.ts';

export const TEAM_CHECK = 'a team check sees the target of its run';

export function teamSpecDir(): string {
  const dir = path.join(tempDir('team-spec'), 'checks');
  mkdirSync(dir);
  writeFileSync(
    path.join(dir, 'node.spec.ts'),
    `import { evidence, expect, target } from 'pause-conformance';

describe('a team check', function () {
  it('sees the target of its run', function () {
    const node = target().info.nodeName;
    evidence(this)['node'] = node;
    evidence(this)['summary'] = \`node \${node}\`;
    expect(node).to.be.a('string').and.not.equal('');
  });
});
`,
  );
  return dir;
}
