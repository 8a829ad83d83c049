/**
 * Loads the kubeconfig the user named (--kubeconfig, else $KUBECONFIG, else ~/.kube/config) and
 * selects the context (--context, else current-context), failing with one line that says which
 * file, which context and what to do. Nothing from the file but names and the server URL (without
 * any userinfo) ever reaches a message: kubeconfigs hold tokens and keys.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { parseDocument } from 'yaml';
import { EnvironmentError, UsageError } from '../errors.ts';
import { KubeApi, requestTimeout } from './api.ts';
import { describeApiError, isApiStatus, isTimeout, networkCode } from './api-errors.ts';
import { errnoCode } from '../linux/errno.ts';

export interface KubeConfigChoice {
  /** --kubeconfig */
  kubeconfig?: string;
  /** --context */
  context?: string;
}

export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  /** Where it came from, for messages and the report: a path, "$KUBECONFIG (a:b)" or "in-cluster". */
  source: string;
  contextName: string;
  clusterName: string;
  /** The API server URL without userinfo. */
  server: string;
}

/** The server URL as safe to print: no user:password@ part. */
export function printableServer(server: string): string {
  try {
    const url = new URL(server);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable server URL)';
  }
}

function readable(file: string): string | undefined {
  try {
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (error) {
    return errnoCode(error) ?? 'unreadable';
  }
}

/**
 * Checks that the text is YAML holding a mapping, and says where it is not, without quoting the
 * file (the yaml library's messages carry a code frame of the offending lines: first line only).
 */
export function kubeconfigYamlProblem(text: string): string | undefined {
  if (text.trim() === '') return 'the file is empty';
  const document = parseDocument(text);
  const first = document.errors[0];
  if (first) {
    const at = first.linePos?.[0];
    return `not valid YAML (${first.code}${at ? ` at line ${at.line}, column ${at.col}` : ''})`;
  }
  const value: unknown = document.toJS();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a YAML mapping (a kubeconfig has clusters, contexts, users)';
  return undefined;
}

function loadFile(kubeConfig: KubeConfig, file: string, flag: string): void {
  const problem = readable(file);
  if (problem) throw new UsageError(`${flag} ${file} cannot be read`, problem, 'Pass the path of a kubeconfig file (e.g. the one `kind get kubeconfig` or `microk8s config` prints).');
  const yamlProblem = kubeconfigYamlProblem(readFileSync(file, 'utf8'));
  if (yamlProblem) throw new UsageError(`kubeconfig ${file} cannot be used`, yamlProblem, 'Check you passed a kubeconfig file.');
  try {
    kubeConfig.loadFromFile(file);
  } catch (error) {
    // client-node's own checks: "clusters[0].cluster.server is missing" and the like (names only).
    const reason = error instanceof Error ? (error as Error & { reason?: string }).reason ?? error.message.split('\n')[0] : String(error);
    throw new UsageError(`kubeconfig ${file} cannot be used`, reason ?? 'unparsable', 'Check the file against `kubectl config view --kubeconfig FILE`.');
  }
}

function contextNames(kubeConfig: KubeConfig): string {
  const names = kubeConfig.getContexts().map((context) => context.name);
  return names.length > 0 ? `it has ${names.map((name) => JSON.stringify(name)).join(', ')}` : 'it has no contexts';
}

/**
 * $KUBECONFIG with one or more files, merged as kubectl merges them (client-go
 * tools/clientcmd/loader.go, `Load`): the list is deduplicated, empty entries and missing files
 * are skipped (only all of them missing is an error), the first file that sets a cluster, user
 * or context name wins for that name, and the first file that sets current-context wins.
 * client-node's own mergeConfig does neither (the last current-context wins, a shared name
 * throws "Duplicate cluster"), so the files are read one by one and joined here.
 */
export function loadKubeconfigFiles(files: string[]): { kubeConfig: KubeConfig; missing: string[] } {
  const unique = [...new Set(files.filter(Boolean))];
  const missing: string[] = [];
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const file of unique) {
    if (readable(file) === 'ENOENT') {
      missing.push(file);
      continue;
    }
    const one = new KubeConfig();
    loadFile(one, file, '$KUBECONFIG');
    for (const cluster of one.getClusters()) if (!clusters.has(cluster.name)) clusters.set(cluster.name, cluster);
    for (const user of one.getUsers()) if (!users.has(user.name)) users.set(user.name, user);
    for (const context of one.getContexts()) if (!contexts.has(context.name)) contexts.set(context.name, context);
    currentContext ||= one.getCurrentContext() ?? '';
  }
  if (missing.length === unique.length) {
    throw new UsageError('no kubeconfig', `$KUBECONFIG names only files that do not exist (${unique.join(', ') || 'none'})`, 'Set KUBECONFIG to existing files, or pass --kubeconfig FILE.');
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
  return { kubeConfig, missing };
}

export function loadKubeConfig(choice: KubeConfigChoice, env: NodeJS.ProcessEnv = process.env): LoadedKubeConfig {
  let kubeConfig = new KubeConfig();
  let source: string;
  if (choice.kubeconfig) {
    source = path.resolve(choice.kubeconfig);
    loadFile(kubeConfig, source, '--kubeconfig');
  } else if (env['KUBECONFIG']) {
    const files = env['KUBECONFIG'].split(path.delimiter).filter(Boolean);
    const loaded = loadKubeconfigFiles(files);
    kubeConfig = loaded.kubeConfig;
    source = `$KUBECONFIG (${files.join(path.delimiter)}${loaded.missing.length > 0 ? `; skipped, missing: ${loaded.missing.join(', ')}` : ''})`;
  } else {
    const home = path.join(os.homedir(), '.kube', 'config');
    if (readable(home)) {
      throw new UsageError('no kubeconfig', `--kubeconfig is not given, $KUBECONFIG is not set and ${home} does not exist`, 'Pass --kubeconfig FILE.');
    }
    source = home;
    loadFile(kubeConfig, home, 'kubeconfig');
  }

  if (choice.context) {
    if (!kubeConfig.getContextObject(choice.context)) {
      throw new UsageError(`context "${choice.context}" is not in ${source}`, contextNames(kubeConfig), 'Pass one of them with --context.');
    }
    kubeConfig.setCurrentContext(choice.context);
  }
  const contextName = kubeConfig.getCurrentContext();
  const context = contextName ? kubeConfig.getContextObject(contextName) : null;
  if (!contextName || !context) {
    throw new UsageError(`${source} has no usable current-context${contextName ? ` ("${contextName}" is not defined)` : ''}`, contextNames(kubeConfig), 'Pass --context NAME.');
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new UsageError(`context "${contextName}" in ${source} names cluster "${context.cluster}"`, 'no cluster of that name is defined', 'Fix the kubeconfig or pass another --context.');
  if (context.user && !kubeConfig.getCurrentUser()) {
    throw new UsageError(`context "${contextName}" in ${source} names user "${context.user}"`, 'no user of that name is defined', 'Fix the kubeconfig or pass another --context.');
  }
  return { kubeConfig, source, contextName, clusterName: cluster.name, server: printableServer(cluster.server) };
}

/**
 * Asks the API server for its version, bounded, and turns every way that can fail into one line:
 * nothing listening, DNS, TLS, credentials refused, no answer.
 */
export async function checkApiServer(loaded: LoadedKubeConfig, timeoutMs = 10_000): Promise<string> {
  const where = `Kubernetes API server ${loaded.server} (context "${loaded.contextName}" in ${loaded.source})`;
  try {
    const version = await new KubeApi(loaded.kubeConfig).version.getCode(undefined, requestTimeout(timeoutMs));
    return version.gitVersion;
  } catch (error) {
    if (isApiStatus(error, 401)) throw new EnvironmentError(`${where} refused the credentials`, 'HTTP 401 Unauthorized', 'Refresh the credentials in the kubeconfig (an expired token or certificate?).');
    if (isTimeout(error)) throw new EnvironmentError(`${where} did not answer`, `no reply within ${timeoutMs} ms`, 'Check the cluster is running and reachable from here.');
    const code = networkCode(error);
    if (code && /CERT|SSL|TLS|SELF_SIGNED|ALTNAME|UNABLE_TO/.test(code)) {
      throw new EnvironmentError(`${where} failed the TLS check`, code, "Check the kubeconfig's certificate-authority data matches the cluster.");
    }
    // fetch quotes the URL it refused, userinfo (user:password@) included: never print that part.
    throw new EnvironmentError(`${where} is unreachable`, describeApiError(error).replace(/\/\/[^/\s@]*@/g, '//'), 'Check the cluster is running and that the kubeconfig points at it.');
  }
}
