/**
 * `npm run check:imports`: the import graph of lib/ points one way. It reads every relative
 * import (type-only ones too: a type is a dependency of the code that names it) of lib/, and of
 * api/, suites/, bench/ and scripts/ as importers, and fails naming each offending edge:
 * - a circle of imports (anywhere in those folders);
 * - an arrow from a lower layer of lib/ to a higher one, or sideways between two units of one
 *   layer (node and pods, two providers: each stands on what is below it, never on a sibling);
 * - a lib/ file importing suites/ (the library runs the suites; it does not depend on them);
 * - a suite importing how its target was made (providers, the CLI, the embedded node): a suite
 *   sees only the Target;
 * - anything importing api/ (the package's API, the top: it re-exports lib/ and the suites'
 *   helpers for teams, and nothing of the project stands on it), or api/ importing a suite.
 * Exit 0 when the graph is clean, 1 with one line per problem otherwise.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The layers of lib/, lowest first. A file may import files of its own unit and of any unit in a
 * lower layer. A unit is a file ('lib/wait.ts') or a folder ('lib/kube/'); 'lib/providers/*\/'
 * makes each provider folder a unit of its own, so providers cannot lean on one another.
 * A file of lib/ that matches no unit is a problem too: a new place gets its layer here.
 */
const LAYERS: { name: string; units: string[] }[] = [
  // What can go wrong, what things are called, what a command returns, where the package is: imports nothing of ours.
  { name: 'words', units: ['lib/errors.ts', 'lib/labels.ts', 'lib/command-result.ts', 'lib/package-root.ts'] },
  // Generic mechanisms: bounded waits, undo, the Linux toolbox, command-line option declarations, optional packages.
  { name: 'mechanisms', units: ['lib/wait.ts', 'lib/cleanup/', 'lib/linux/', 'lib/options.ts', 'lib/optional-packages.ts'] },
  // The APIs the harness speaks: CRI gRPC, containerd's event stream and the Kubernetes API.
  { name: 'cri and kube', units: ['lib/cri/', 'lib/containerd/', 'lib/kube/'] },
  // What a suite uses: a NodeView sees the sandbox, a PodDriver makes pods.
  { name: 'node and pods', units: ['lib/node/', 'lib/pods/'] },
  // The embedded node (a private containerd) the local provider brings up.
  { name: 'embedded node', units: ['lib/runtime/'] },
  { name: 'target', units: ['lib/target.ts'] },
  // A run: the target and fixtures a check sees, and the report the checks end in.
  { name: 'run and report', units: ['lib/run-context.ts', 'lib/report/'] },
  // The live runtime upgrade check: witnesses and their checks, over the Target alone.
  { name: 'upgrade check', units: ['lib/upgrade/'] },
  { name: 'provider contract', units: ['lib/providers/provider.ts'] },
  { name: 'provider helpers', units: ['lib/providers/common/'] },
  { name: 'cluster targets', units: ['lib/providers/cluster/'] },
  { name: 'providers', units: ['lib/providers/*/'] },
  { name: 'provider registry', units: ['lib/providers/registry.ts'] },
  { name: 'command line', units: ['lib/cli/'] },
];

/** What a suite may not import: how its target was brought up. */
const HIDDEN_FROM_SUITES = ['lib/providers/', 'lib/cli/', 'lib/runtime/'];

const IMPORTERS = ['api', 'suites', 'bench', 'scripts'];

interface Unit {
  unit: string;
  layer: number;
}

function unitOf(file: string): Unit | undefined {
  let best: (Unit & { specificity: number }) | undefined;
  for (const [layer, { units }] of LAYERS.entries()) {
    for (const pattern of units) {
      let unit: string | undefined;
      let specificity = pattern.length;
      if (pattern.endsWith('/*/')) {
        const base = pattern.slice(0, -2);
        const rest = file.startsWith(base) ? file.slice(base.length) : '';
        const folder = rest.includes('/') ? rest.slice(0, rest.indexOf('/') + 1) : undefined;
        if (folder) unit = base + folder;
        // A named folder beside the glob (common/, cluster/) is more specific than the glob.
        specificity = base.length;
      } else if (pattern.endsWith('/') ? file.startsWith(pattern) : file === pattern) {
        unit = pattern;
      }
      if (unit && (!best || specificity > best.specificity)) best = { unit, layer, specificity };
    }
  }
  return best && { unit: best.unit, layer: best.layer };
}

function tsFiles(root: string, dir: string): string[] {
  const absolute = path.join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(absolute);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const relative = `${dir}/${name}`;
    if (statSync(path.join(root, relative)).isDirectory()) return tsFiles(root, relative);
    return name.endsWith('.ts') ? [relative] : [];
  });
}

/**
 * The relative specifiers a file imports: `import ... from`, `export ... from`, `import '...'`
 * and `import('...')`. Import statements start a line; what sits between the keyword and `from`
 * holds no quote, so a string elsewhere in the file is never taken for a specifier.
 */
export function relativeImports(source: string): string[] {
  const found: string[] = [];
  const patterns = [/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/gm, /^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm, /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

interface Edge {
  from: string;
  to: string;
}

function edgesOf(root: string, files: string[]): { edges: Edge[]; problems: string[] } {
  const edges: Edge[] = [];
  const problems: string[] = [];
  for (const file of files) {
    for (const specifier of relativeImports(readFileSync(path.join(root, file), 'utf8'))) {
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      if (!files.includes(to) && !to.startsWith('node_modules/')) {
        // Only .ts files of the checked folders are nodes; anything else imported is named, not followed.
        if (!isFile(path.join(root, to))) problems.push(`${file} -> ${to}: imports a file that does not exist`);
        continue;
      }
      edges.push({ from: file, to });
    }
  }
  return { edges, problems };
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Every circle, one line each, as the files it passes through (Tarjan's strongly connected components). */
function circles(files: string[], edges: Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((file) => [file, []]));
  for (const edge of edges) next.get(edge.from)?.push(edge.to);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || (next.get(file) ?? []).includes(file)) components.push(component);
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  // One concrete circle per component: the shortest way back to its first file.
  return components.map((component) => {
    const inside = new Set(component);
    const start = [...component].sort()[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const to of next.get(file) ?? []) {
        if (!inside.has(to)) continue;
        if (to === start) {
          const path = [file];
          while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
          return [...path, start];
        }
        if (!previous.has(to)) {
          previous.set(to, file);
          queue.push(to);
        }
      }
    }
    return [...component, component[0]!];
  });
}

/** Every problem of the import graph under `root` (a checkout of this repository), one line each. */
export function checkImports(root = REPO): string[] {
  const libFiles = tsFiles(root, 'lib');
  const files = [...libFiles, ...IMPORTERS.flatMap((dir) => tsFiles(root, dir))];
  const { edges, problems } = edgesOf(root, files);
  for (const file of libFiles) if (!unitOf(file)) problems.push(`${file}: in no layer (give its folder a layer in scripts/check-imports.ts)`);
  for (const circle of circles(files, edges)) problems.push(`circle: ${circle.join(' -> ')}`);
  for (const { from, to } of edges) {
    if (from.startsWith('lib/') && to.startsWith('suites/')) {
      problems.push(`${from} -> ${to}: lib/ imports suites/ (the library runs the suites, it must not depend on them)`);
      continue;
    }
    if (from.startsWith('suites/') && HIDDEN_FROM_SUITES.some((hidden) => to.startsWith(hidden))) {
      problems.push(`${from} -> ${to}: a suite imports how its target is made (a suite sees only the Target)`);
      continue;
    }
    if (to.startsWith('api/') && !from.startsWith('api/')) {
      problems.push(`${from} -> ${to}: imports the package API (api/ is the top: the project stands on lib/, never on its API)`);
      continue;
    }
    if (from.startsWith('api/') && to.endsWith('.spec.ts')) {
      problems.push(`${from} -> ${to}: the API imports a suite (suites are run, not imported)`);
      continue;
    }
    if (!from.startsWith('lib/') || !to.startsWith('lib/')) continue;
    const a = unitOf(from);
    const b = unitOf(to);
    if (!a || !b || a.unit === b.unit || b.layer < a.layer) continue;
    const direction = b.layer > a.layer ? 'upward' : 'sideways';
    problems.push(`${from} -> ${to}: ${direction} (${a.unit}, layer ${a.layer} "${LAYERS[a.layer]!.name}", imports ${b.unit}, layer ${b.layer} "${LAYERS[b.layer]!.name}")`);
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = checkImports();
  if (problems.length === 0) {
    process.stdout.write(`check-imports: ${LAYERS.length} layers, no circle, no upward or sideways import, nothing in lib/ imports suites/\n`);
  } else {
    for (const problem of problems) process.stdout.write(`check-imports: ${problem}\n`);
    process.stdout.write(`check-imports: ${problems.length} problem(s); the layers are listed at the top of scripts/check-imports.ts\n`);
    process.exitCode = 1;
  }
}
