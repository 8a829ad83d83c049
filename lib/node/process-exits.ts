/**
 * Process exits from the kernel: a pidfd per watched process (pidfd_open(2)), polled by one small
 * helper for the whole run, which prints "exit <pid>" the moment the kernel marks the process
 * exited. containerd's /tasks/exit says the same later: the shim stamps exited_at when it reaps,
 * and the event then travels shim -> containerd -> subscriber, which took 40-100 ms on this
 * machine under load (measured on 2026-12-03 with the embedded node and a busy second run).
 *
 * Node has no pidfd, and no native code is built here, so the helper is perl: perl-base is
 * Essential on Debian and Ubuntu (always installed), and its syscall() reaches pidfd_open (434 on
 * every architecture: the syscall numbers from 424 on are one table) and its select() polls the
 * pidfds. A pidfd names one process, so a pid the kernel reuses later is never the watched one.
 *
 * The helper stamps each exit with the kernel's clock the moment select() returns (clock_gettime
 * through syscall(): Time::HiRes is not in perl-base), so the time an exit is known at does not
 * wait for this process's event loop, which at 16 pods in flight was tens of ms behind.
 *
 * The helper reads pids on stdin and ends when stdin closes: on close(), on our exit, and when
 * this process is SIGKILLed.
 */
import { LineHelper } from './line-helper.ts';

/**
 * clock_gettime(2)'s number, which (unlike pidfd_open's) differs between architectures; where it
 * is not known here the exit is stamped when its line arrives.
 */
const CLOCK_GETTIME: Partial<Record<NodeJS.Architecture, number>> = { x64: 228, arm64: 113 };

/** perl, $ARGV[0] = clock_gettime's number or 0: stdin "<pid>\n" -> "watching <pid>" | "gone <pid> <why>"; then "exit <pid> [at <ms>]" when it exits. */
export const PIDFD_HELPER = String.raw`
use strict; use warnings; use POSIX ();
$| = 1;
my $clock_nr = ($ARGV[0] // 0) + 0;
# CLOCK_REALTIME in ms with µs, as " at <ms>", or '' without a clock.
sub stamp {
  return '' unless $clock_nr;
  my $ts = "\0" x 16;
  return '' if syscall($clock_nr, 0, $ts) != 0;
  my ($s, $ns) = unpack('q q', $ts);
  return sprintf(' at %.3f', $s * 1000 + $ns / 1e6);
}
my %pid_of; my $buf = '';
while (1) {
  my $rin = '';
  vec($rin, fileno(STDIN), 1) = 1;
  vec($rin, $_, 1) = 1 for keys %pid_of;
  my $n = select(my $rout = $rin, undef, undef, undef);
  next if $n < 0;
  my $at = stamp();
  for my $fd (keys %pid_of) {
    next unless vec($rout, $fd, 1);
    print "exit $pid_of{$fd}$at\n";
    POSIX::close($fd);
    delete $pid_of{$fd};
  }
  next unless vec($rout, fileno(STDIN), 1);
  my $got = sysread(STDIN, $buf, 4096, length $buf);
  exit 0 unless $got;
  while ($buf =~ s/^(\d+)\n//) {
    my $pid = $1 + 0;
    my $fd = syscall(434, $pid, 0);
    if ($fd < 0) { print "gone $pid $!\n"; } else { $pid_of{$fd} = $pid; print "watching $pid\n"; }
  }
}
`;

/** One line of the helper: what it said of which pid, and for an exit its stamp where it has one. */
export function parsePidfdLine(line: string): { what: 'exit' | 'gone' | 'watching'; pid: number; why?: string; atMs?: number } | undefined {
  const exit = /^exit (\d+)(?: at (\d+(?:\.\d+)?))?$/.exec(line);
  if (exit) return { what: 'exit', pid: Number(exit[1]), ...(exit[2] ? { atMs: Number(exit[2]) } : {}) };
  const match = /^(gone|watching) (\d+)(?: (.*))?$/.exec(line);
  if (!match) return undefined;
  return { what: match[1] as 'gone' | 'watching', pid: Number(match[2]), ...(match[3] ? { why: match[3] } : {}) };
}

export class ProcessExits {
  private readonly helper: LineHelper;
  /** Pids the helper was asked to watch and has not told the exit of. */
  private readonly watched = new Set<number>();
  /** Told the handshake's answer (undefined: it polls) while start() waits for it. */
  private ready: ((why: string | undefined) => void) | undefined;

  constructor(onExit: (pid: number, atMs: number) => void) {
    this.helper = new LineHelper('the pidfd helper (perl)', (line, atMs) => {
      const said = parsePidfdLine(line);
      if (said?.pid === process.pid) this.ready?.(said.what === 'watching' ? undefined : `pidfd_open of this process failed: ${said.why ?? said.what}`);
      // "gone": the process had ended before its pidfd could be opened; either way it is a change to look at.
      if (said && said.what !== 'watching' && this.watched.delete(said.pid)) onExit(said.pid, said.atMs ?? atMs);
    });
  }

  /** Starts the helper and waits until it polls a pidfd (of this process: a handshake), or says why it cannot. */
  async start(timeoutMs = 5_000): Promise<void> {
    // At nice -10, as the link monitor and for the same reason: it sleeps in select() until a
    // process exits, then prints one line; at nice 0 it waited behind the runtime under load.
    this.helper.start('nice', ['-n', '-10', 'perl', '-e', PIDFD_HELPER, String(CLOCK_GETTIME[process.arch] ?? 0)]);
    const why = await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(`the pidfd helper (perl) did not answer within ${timeoutMs} ms`), timeoutMs);
      this.ready = (answer) => {
        clearTimeout(timer);
        this.ready = undefined;
        resolve(answer);
      };
      this.helper.whenEnded((ended) => this.ready?.(ended));
      this.helper.write(`${process.pid}\n`);
    });
    if (why) await this.helper.close(why);
  }

  /** Asks the helper to tell this pid's exit (once per pid). */
  watch(pid: number): void {
    if (this.helper.whyNot() || this.watched.has(pid)) return;
    this.watched.add(pid);
    this.helper.write(`${pid}\n`);
  }

  /** Why exits are not told, or undefined while the helper runs. */
  whyNot(): string | undefined {
    return this.helper.whyNot();
  }

  close(): Promise<void> {
    return this.helper.close();
  }
}
