/**
 * Loads @actions/workflow-parser under Node. The package is published for bundlers: it imports its
 * schema JSON without `with { type: 'json' }`, which Node refuses (ERR_IMPORT_ATTRIBUTE_MISSING;
 * actions/languageservices issue #387, open). A resolve hook adds the attribute to that package's
 * own .json imports and nothing else; the package is then imported dynamically, after the hook.
 */
import { registerHooks } from 'node:module';

let hooked = false;

function hookJsonImports(): void {
  if (hooked) return;
  hooked = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      if (resolved.url.includes('/@actions/workflow-parser/') && resolved.url.endsWith('.json')) {
        return { ...resolved, importAttributes: { ...context.importAttributes, type: 'json' } };
      }
      return resolved;
    },
  });
}

export async function loadWorkflowParser(): Promise<{
  workflows: typeof import('@actions/workflow-parser');
  actions: typeof import('@actions/workflow-parser/actions/index');
}> {
  hookJsonImports();
  const [workflows, actions] = await Promise.all([import('@actions/workflow-parser'), import('@actions/workflow-parser/actions/index')]);
  return { workflows, actions };
}
