/**
 * Command-line options declared as data. Each option is one entry, keyed by its name in the
 * code (camelCase; the flag is the same name in kebab-case: sandboxImageTar is
 * --sandbox-image-tar), with its help line and, where it has one, its default. Whoever takes
 * options (a provider, a command) declares them once; node:util's parseArgs configuration, the
 * --help lines and a typed object of the values all come from those declarations, so a new flag
 * is one line:
 *
 *   runtime: choice(['containerd@1.6', 'containerd@2.1'], 'which containerd the node runs', 'containerd@1.6'),
 */
import { UsageError } from './errors.ts';

/** An option that takes a value: --subnet CIDR. */
export interface ValueOption<T> {
  kind: 'value';
  /** The value's name in help lines: CIDR in "--subnet CIDR". */
  placeholder: string;
  help: string;
  /** The text given -> the value; throws a UsageError (one line: what, why, what to do) for a bad one. */
  parse: (raw: string, flag: string) => T;
  /** The value when the option is not given; said in its help line. */
  default?: T;
}

/** An option that is on or off: --keep. */
export interface FlagOption {
  kind: 'flag';
  help: string;
  /** One letter it may also be given as: -h. */
  short?: string;
}

export type OptionSpec = ValueOption<unknown> | FlagOption;

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<O> = O extends FlagOption ? boolean : O extends ValueOption<infer T> ? T : never;

/** Options that always have a value: flags (false when absent) and options with a default. */
type AlwaysSet<S> = { [K in keyof S]: S[K] extends FlagOption ? K : S[K] extends { default: unknown } ? K : never }[keyof S];

/** The typed values of a set of declarations: { subnet: string; sandboxImageTar?: string; keep: boolean }. */
export type OptionValues<S extends OptionSpecs> = { [K in AlwaysSet<S>]: ValueOf<S[K]> } & { [K in Exclude<keyof S, AlwaysSet<S>>]?: ValueOf<S[K]> };

/** What parseArgs hands back, by flag name. */
export type RawOptionValues = Record<string, string | boolean | undefined>;

/** A value taken as given. */
export function text(placeholder: string, help: string): ValueOption<string>;
export function text(placeholder: string, help: string, defaultValue: string): ValueOption<string> & { default: string };
export function text(placeholder: string, help: string, defaultValue?: string): ValueOption<string> {
  return { kind: 'value', placeholder, help, parse: (raw) => raw, ...(defaultValue === undefined ? {} : { default: defaultValue }) };
}

/** A value read by `parse`, which throws a UsageError for a bad one. */
export function value<T>(placeholder: string, help: string, parse: (raw: string, flag: string) => T): ValueOption<T> {
  return { kind: 'value', placeholder, help, parse };
}

/** One of a few words: --oci-runtime runc|crun. */
export function choice<const C extends readonly string[]>(choices: C, help: string): ValueOption<C[number]>;
export function choice<const C extends readonly string[]>(choices: C, help: string, defaultValue: C[number]): ValueOption<C[number]> & { default: C[number] };
export function choice<const C extends readonly string[]>(choices: C, help: string, defaultValue?: C[number]): ValueOption<C[number]> {
  const isChoice = (raw: string): raw is C[number] => (choices as readonly string[]).includes(raw);
  return {
    kind: 'value',
    placeholder: choices.join('|'),
    help,
    parse: (raw, flag) => {
      if (isChoice(raw)) return raw;
      throw new UsageError(`--${flag} ${raw} is not known`, `it takes ${choices.join(', ')}`, `Pass e.g. --${flag} ${choices[0]}.`);
    },
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  };
}

export function flag(help: string, short?: string): FlagOption {
  return { kind: 'flag', help, ...(short ? { short } : {}) };
}

/** A whole number >= 1; `why` says what it counts, for the message: "it is how many nodes are checked at a time". */
export function positiveInteger(why: string, example: number): (raw: string, flag: string) => number {
  return (raw, flag) => {
    if (!/^[1-9]\d*$/.test(raw)) throw new UsageError(`--${flag} ${raw} is not a whole number >= 1`, why, `Pass e.g. --${flag} ${example}.`);
    return Number(raw);
  };
}

/** The flag of an option key: sandboxImageTar -> sandbox-image-tar. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

export type ParseArgsOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/**
 * parseArgs' configuration for several sets of declarations at once (the common options and every
 * provider's). Two sets may declare the same flag; they must agree on whether it takes a value.
 */
export function parseArgsOptions(...sets: OptionSpecs[]): ParseArgsOptions {
  const config: ParseArgsOptions = {};
  for (const specs of sets) {
    for (const [key, spec] of Object.entries(specs)) {
      const name = flagName(key);
      const type = spec.kind === 'flag' ? 'boolean' : 'string';
      const known = config[name];
      // A declaration bug, not a user's mistake: two owners of one flag disagree on its shape.
      if (known && known.type !== type) throw new Error(`--${name} is declared both as a flag and as an option with a value`);
      config[name] = { type, ...(spec.kind === 'flag' && spec.short ? { short: spec.short } : {}) };
    }
  }
  return config;
}

/** The typed values of `specs` from parseArgs' values: parsed, defaulted, flags false when absent. */
export function readOptions<S extends OptionSpecs>(specs: S, raw: RawOptionValues): OptionValues<S> {
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const given = raw[flagName(key)];
    if (spec.kind === 'flag') {
      values[key] = given === true;
    } else if (typeof given === 'string') {
      values[key] = spec.parse(given, flagName(key));
    } else if (spec.default !== undefined) {
      values[key] = spec.default;
    }
  }
  // Built key by key from the declarations, so it has exactly the shape OptionValues<S> describes.
  return values as OptionValues<S>;
}

/** One help line per option: "--subnet CIDR   pod subnet ... (default: 10.213.0.0/24)"; `column` is where the help starts. */
export function helpLines(specs: OptionSpecs, indent: string, column = 31): string[] {
  return Object.entries(specs).map(([key, spec]) => {
    const name = spec.kind === 'flag' && spec.short ? `-${spec.short}, --${flagName(key)}` : `--${flagName(key)}`;
    const usage = spec.kind === 'value' ? `${name} ${spec.placeholder}` : name;
    const defaulted = spec.kind === 'value' && spec.default !== undefined ? ` (default: ${String(spec.default)})` : '';
    return `${`${indent}${usage}`.padEnd(column - 2)}  ${spec.help}${defaulted}`;
  });
}

