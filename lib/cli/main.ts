/**
 * The command line: `pause-conformance run [options]`. Bad input is one line on stderr and
 * exit 2; a stack trace only ever means a bug in the harness.
 */
import { isUserFacing, UsageError } from '../errors.ts';
import { EXIT_USAGE, runCommand } from './run-command.ts';
import { parseRunArgs, runUsage } from './run-options.ts';
import { diffCommand } from './diff-command.ts';
import { upgradeCommand } from './upgrade-command.ts';
import { parseUpgradeArgs, upgradeUsage } from './upgrade-options.ts';
import { loadFixtureDir } from '../pods/fixtures.ts';
import { packageVersion } from './package-info.ts';

/** `pause-conformance --help`: the commands; each command's own --help has its options. */
function commandsUsage(): string {
  return `Usage: pause-conformance <command> [options]   (pause-conformance --version: the version)

Checks the Kubernetes pod sandbox (the pause container) on a target, with evidence.

Commands:
  run    bring a target up, run the conformance checks on it, write the reports, tear it all down
         (options: pause-conformance run --help)
  upgrade  a live, in-place runtime upgrade under running pods, checked: suites before, witness pods,
         the upgrade, the witnesses checked, suites after, the diff (options: pause-conformance upgrade --help)
  diff   compare two reports (before/after an upgrade); exit 1 when a check regressed
         (options: pause-conformance diff --help)

Examples:
  sudo pause-conformance run
  sudo pause-conformance upgrade --from containerd@1.6 --to containerd@2.1
  pause-conformance run --help

Exit codes: 0 every check passed, 1 a check failed or something leaked, 2 usage or environment error, 130 interrupted.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) {
      process.stderr.write(commandsUsage());
      return EXIT_USAGE;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(commandsUsage());
      return 0;
    }
    if (command === '--version' || command === '-V') {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (command === 'diff') return await diffCommand(rest);
    if (command === 'upgrade') {
      const upgrade = parseUpgradeArgs(rest);
      if (upgrade === 'help') {
        process.stdout.write(upgradeUsage());
        return 0;
      }
      return await upgradeCommand(upgrade);
    }
    if (command !== 'run') throw new UsageError(`unknown command "${command}"`, 'the commands are: run, upgrade, diff', 'See `pause-conformance --help`.');
    const request = parseRunArgs(rest);
    if (request === 'help') {
      process.stdout.write(runUsage());
      return 0;
    }
    // Every fixture is read and checked before anything is made: a malformed one is one line, exit 2.
    await loadFixtureDir(request.common.fixtures);
    return await runCommand(request);
  } catch (error) {
    if (isUserFacing(error)) {
      process.stderr.write(`pause-conformance: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
