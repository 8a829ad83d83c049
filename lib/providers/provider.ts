/**
 * A Provider brings Targets up and down: local (embedded node), cri (an existing runtime
 * socket), kind, microk8s, k3s, kubeconfig. One folder per provider, one interface (as kind's
 * pkg/cluster/internal/providers). A provider declares the command-line options it takes (their
 * types, help lines and defaults, lib/options.ts) and starts with their typed values; the command
 * line builds its parser and `run --help` from those declarations and refuses a flag the chosen
 * provider does not take. A provider registers every undo in the run's UndoStack; the run unwinds
 * it on success, failure and signals, then asks the provider's leak check.
 */
import type { UndoStack } from '../cleanup/undo-stack.ts';
import { readOptions, type OptionSpecs, type OptionValues, type RawOptionValues } from '../options.ts';
import type { Target } from '../target.ts';
import { requireInstalled } from '../optional-packages.ts';

/** The options of a run that every provider may use (the command line declares them). */
export interface CommonProviderOptions {
  /** --app-image: runs wherever a fixture names the fixtures' app image. */
  appImage?: string;
  /** --fixtures: the directory of pod fixtures (default fixtures/pods). */
  fixtures?: string;
}

export interface ProviderContext<Options> {
  runId: string;
  common: CommonProviderOptions;
  /** The provider's own options, typed by its declarations. */
  options: Options;
  undo: UndoStack;
  /** Runs one bring-up step and prints it with its duration, so a slow start is not silence. */
  step: <T>(title: string, work: () => Promise<T>) => Promise<T>;
  /** One line for the person watching. */
  say: (line: string) => void;
  /**
   * Set by `pause-conformance upgrade` for providers that make the upgrade themselves (local):
   * what to switch to (a --runtime or --oci-runtime value). Providers that run the operator's own
   * command (kubeconfig --upgrade-command) take that as an option instead.
   */
  upgradeTo?: string;
}

export interface StartedProvider {
  targets: Target[];
  /** How many of the targets may be checked at once (--parallel where a provider takes it); default 1. */
  parallel?: number;
  /** After teardown: what of this run is still there, one line each. */
  leaks(): Promise<string[]>;
}

/** What a provider is written as: its name, its options and how it starts with their values. */
export interface ProviderDefinition<S extends OptionSpecs> {
  name: string;
  summary: string;
  options: S;
  start(context: ProviderContext<OptionValues<S>>): Promise<StartedProvider>;
}

/** A run's context without provider options: what the command line hands a configured provider. */
export type ProviderRun = Omit<ProviderContext<unknown>, 'options'>;

/** A provider whose options have been read from the command line: ready to start. */
export interface ConfiguredProvider {
  name: string;
  start(run: ProviderRun): Promise<StartedProvider>;
}

/** A provider as the registry and the command line hold it, whatever its options. */
export interface Provider {
  readonly name: string;
  readonly summary: string;
  readonly options: OptionSpecs;
  /** Reads its options from parseArgs' values (by flag name); a bad value is a UsageError. */
  configure(raw: RawOptionValues): ConfiguredProvider;
}

/** The definition, still callable with typed options (tests do), and the Provider the registry holds. */
export function defineProvider<S extends OptionSpecs>(definition: ProviderDefinition<S>): ProviderDefinition<S> & Pick<Provider, 'configure'> {
  return {
    ...definition,
    configure(raw) {
      const options = readOptions(definition.options, raw);
      return { name: definition.name, start: (run) => definition.start({ ...run, options }) };
    },
  };
}

/**
 * What the registry and the command line need of a provider before it is chosen: its name, help,
 * options, and the packages its start needs that a default install may leave out (optional peer
 * dependencies, e.g. k3s's testcontainers): a run that chooses it without them installed is one
 * line saying what to install.
 */
export interface ProviderDeclaration<S extends OptionSpecs = OptionSpecs> {
  name: string;
  summary: string;
  options: S;
  needs?: string[];
}

/**
 * A provider whose module loads only when a run chooses it: its declaration is all the registry
 * and `run --help` read; `load` imports the module with its start. The cluster providers are
 * held this way, so that a local or cri run never loads the Kubernetes client (1-1.6 s to import).
 */
export function lazyProvider<S extends OptionSpecs>(declaration: ProviderDeclaration<S>, load: () => Promise<Pick<ProviderDefinition<S>, 'start'>>): Provider {
  return {
    name: declaration.name,
    summary: declaration.summary,
    options: declaration.options,
    configure(raw) {
      if (declaration.needs) requireInstalled(`provider ${declaration.name}`, declaration.needs);
      const options = readOptions(declaration.options, raw);
      return { name: declaration.name, start: async (run) => (await load()).start({ ...run, options }) };
    },
  };
}
