/**
 * Validates the repository's GitHub Actions files with GitHub's own parser and schemas
 * (@actions/workflow-parser, from actions/languageservices: the workflow-v1.0 and action-v1.0
 * schemas the Actions editor tooling checks against). Workflows are parsed against the workflow
 * schema and then converted (jobs, needs, matrix, reusable-workflow inputs, expressions), actions
 * against the action schema and converted too. Run as `npm run test:workflows`; exits 1 and names
 * each error with file:line:column when a file does not validate.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TemplateContext } from '@actions/workflow-parser/templates/template-context';
import { loadWorkflowParser } from './load-workflow-parser.ts';

export type ActionsFileKind = 'workflow' | 'action';

function errorsOf(context: TemplateContext, file: string): string[] {
  return context.errors.getErrors().map((error) => {
    const start = error.range?.start;
    const where = start ? `${file}:${start.line}:${start.column}` : file;
    return `${where}: ${error.rawMessage}`;
  });
}

/** The errors GitHub's parser finds in one workflow or action file ([] = valid). */
export async function validateActionsFile(name: string, content: string, kind: ActionsFileKind): Promise<string[]> {
  const { workflows, actions } = await loadWorkflowParser();
  const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = workflows;
  const { convertActionTemplate, parseAction } = actions;
  const trace = new NoOperationTraceWriter();
  if (kind === 'workflow') {
    const parsed = parseWorkflow({ name, content }, trace);
    if (parsed.value === undefined) return [...errorsOf(parsed.context, name), `${name}: not a workflow document`].filter((line, index, all) => all.indexOf(line) === index);
    if (parsed.context.errors.getErrors().length === 0) await convertWorkflowTemplate(parsed.context, parsed.value);
    return errorsOf(parsed.context, name);
  }
  const parsed = parseAction({ name, content }, trace);
  if (parsed.value === undefined) return [...errorsOf(parsed.context, name), `${name}: not an action document`];
  if (parsed.context.errors.getErrors().length === 0) convertActionTemplate(parsed.context, parsed.value);
  return errorsOf(parsed.context, name);
}

/** Every workflow (.github/workflows/*.yml|yaml) and action (action.yml|yaml anywhere under the root and .github/actions). */
export async function actionsFiles(root: string): Promise<{ file: string; kind: ActionsFileKind }[]> {
  const found: { file: string; kind: ActionsFileKind }[] = [];
  const workflows = path.join(root, '.github', 'workflows');
  for (const entry of await readdir(workflows).catch(() => [] as string[])) {
    if (/\.ya?ml$/.test(entry)) found.push({ file: path.join(workflows, entry), kind: 'workflow' });
  }
  for (const name of ['action.yml', 'action.yaml']) {
    const file = path.join(root, name);
    if (await readFile(file).then(() => true, () => false)) found.push({ file, kind: 'action' });
  }
  const actionsDir = path.join(root, '.github', 'actions');
  for (const entry of await readdir(actionsDir, { recursive: true }).catch(() => [] as string[])) {
    if (/(^|\/)action\.ya?ml$/.test(entry)) found.push({ file: path.join(actionsDir, entry), kind: 'action' });
  }
  return found.sort((a, b) => a.file.localeCompare(b.file));
}

async function main(): Promise<number> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const files = await actionsFiles(root);
  if (files.length === 0) {
    process.stderr.write('test:workflows: no workflow or action files found under .github/ or at the root\n');
    return 1;
  }
  let failed = 0;
  for (const { file, kind } of files) {
    const relative = path.relative(root, file);
    const errors = await validateActionsFile(relative, await readFile(file, 'utf8'), kind);
    if (errors.length === 0) {
      process.stdout.write(`  ✓ ${relative} (${kind})\n`);
    } else {
      failed += 1;
      process.stdout.write(`  ✗ ${relative} (${kind})\n${errors.map((line) => `      ${line}\n`).join('')}`);
    }
  }
  process.stdout.write(`test:workflows: ${files.length - failed} of ${files.length} files valid\n`);
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
