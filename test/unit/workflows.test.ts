/**
 * The workflow check (npm run test:workflows) can fail: GitHub's parser, as loaded by the
 * validator, rejects what GitHub would reject (a misspelt key, a job that needs an unknown job,
 * an unclosed expression, an unknown context, a composite step without a shell), and accepts the
 * repository's own workflows and action.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { actionsFiles, validateActionsFile } from '../workflows/validate-workflows.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const WORKFLOW = `name: t
on: [push]
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
`;

const ACTION = `name: a
description: d
runs:
  using: composite
  steps:
    - run: echo hi
      shell: bash
`;

describe('workflow validation (@actions/workflow-parser)', function () {
  it('accepts a minimal workflow and a minimal composite action', async function () {
    expect(await validateActionsFile('ok.yml', WORKFLOW, 'workflow')).to.deep.equal([]);
    expect(await validateActionsFile('action.yml', ACTION, 'action')).to.deep.equal([]);
  });

  it('rejects a misspelt key, an unknown needs, an unclosed expression and an unknown context', async function () {
    expect(await validateActionsFile('w.yml', WORKFLOW.replace('runs-on', 'runs_on'), 'workflow')).to.include("w.yml:5:5: Unexpected value 'runs_on'");
    const needs = `${WORKFLOW}  b:\n    needs: [nope]\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n`;
    expect(await validateActionsFile('w.yml', needs, 'workflow')).to.deep.equal(["w.yml:9:13: Job 'b' depends on unknown job 'nope'."]);
    expect((await validateActionsFile('w.yml', WORKFLOW.replace('echo hi', 'echo ${{ matrix.x'), 'workflow'))[0]).to.match(/The expression is not closed/);
    expect(await validateActionsFile('w.yml', WORKFLOW.replace('echo hi', 'echo ${{ nope.x }}'), 'workflow')).to.deep.equal(["w.yml:7:19: Unrecognized named-value: 'nope'"]);
  });

  it('rejects a composite step without a shell, and a file that is not a document', async function () {
    expect(await validateActionsFile('action.yml', ACTION.replace('      shell: bash\n', ''), 'action')).to.deep.equal(['action.yml:6:7: Required property is missing: shell']);
    expect(await validateActionsFile('empty.yml', '', 'workflow')).to.include('empty.yml: not a workflow document');
  });

  it('finds and accepts every workflow and action of the repository', async function () {
    const files = await actionsFiles(ROOT);
    expect(files.map((file) => path.relative(ROOT, file.file))).to.include.members(['.github/workflows/ci.yml', '.github/workflows/kind.yml', '.github/workflows/microk8s.yml', 'action.yml']);
    for (const { file, kind } of files) {
      const relative = path.relative(ROOT, file);
      expect(await validateActionsFile(relative, await readFile(file, 'utf8'), kind), relative).to.deep.equal([]);
    }
  });
});
