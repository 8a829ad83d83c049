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

  it('uses each action at its current major version', async function () {
    // Each action's own releases (2026-12): actions/checkout v7.0.1 (2026-07-17, tag v7),
    // actions/upload-artifact v7.0.0 (2026-02-25, tag v7), helm/kind-action v1.14.0 (2026-01-26, tag v1).
    const current: Record<string, string> = { 'actions/checkout': 'v7', 'actions/upload-artifact': 'v7', 'helm/kind-action': 'v1' };
    const seen: string[] = [];
    for (const { file } of await actionsFiles(ROOT)) {
      for (const match of (await readFile(file, 'utf8')).matchAll(/^\s*(?:-\s*)?uses:\s*([\w.-]+\/[\w.-]+)@(\S+)/gm)) {
        const [, action, ref] = match as unknown as [string, string, string];
        seen.push(action);
        expect(current, `${path.relative(ROOT, file)} uses ${action}, which this test does not know: add its current major`).to.have.property(action);
        expect(`${action}@${ref}`, path.relative(ROOT, file)).to.equal(`${action}@${current[action]}`);
      }
    }
    expect(seen).to.include.members(Object.keys(current));
  });
});
