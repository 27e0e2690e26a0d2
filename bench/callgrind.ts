// Reading valgrind's callgrind for bench/pass-instructions.ts and bench/task-instructions.ts:
// instructions are counted, not timed, so they move far less than seconds between runs; what a
// process does by the clock (timers, V8's memory reducer, how concurrent writes batch) still grows
// with the wall time it takes, so counts are compared within one run on a quiet machine.

/** The total callgrind prints when the process ends ("Collected : N"). */
export function collectedInstructions(callgrindOutput: string): number {
  const match = /^(?:==\d+== )?Collected : (\d+)$/m.exec(callgrindOutput);
  if (!match) throw new Error('callgrind printed no instruction count');
  return Number(match[1]);
}

/** Instructions per change: the larger run's surplus over the smaller one's, per extra change. */
export function perChange(small: { changes: number; instructions: number }, large: { changes: number; instructions: number }): number {
  if (large.changes <= small.changes) throw new RangeError('the larger run needs more changes than the smaller');
  return (large.instructions - small.instructions) / (large.changes - small.changes);
}

/** The instructions of one part `callgrind_control --dump` wrote (its "summary:" line): what ran since the last zeroing. */
export function dumpedInstructions(dumpFile: string): number {
  const match = /^summary: (\d+)$/m.exec(dumpFile);
  if (!match) throw new Error('the callgrind dump has no summary line');
  return Number(match[1]);
}

/** Who valgrind says runs a process: the user and host in the names of its vgdb pipes. */
export interface VgdbIdentity {
  user: string;
  host: string;
}

/**
 * The user and host in the name of the shared-memory file valgrind made for `pid` beside
 * `prefix` (`<prefix>-shared-mem-vgdb-<pid>-by-<user>-on-<host>`). valgrind took them from the
 * child's LOGNAME (or USER) and HOST, "???" where unset; vgdb rebuilds the names from its own
 * environment, so it must be given the same (the bridge's HOST is its listen address).
 */
export function vgdbIdentity(fileNames: readonly string[], prefix: string, pid: number): VgdbIdentity {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}-shared-mem-vgdb-${pid}-by-(.+?)-on-(.+)$`);
  for (const name of fileNames) {
    const match = pattern.exec(name);
    if (match) return { user: match[1]!, host: match[2]! };
  }
  throw new Error(`no vgdb shared-memory file for process ${pid} (valgrind started without its gdbserver?)`);
}

/** The environment that makes vgdb name the pipes as valgrind did. */
export function vgdbEnvironment(base: NodeJS.ProcessEnv, identity: VgdbIdentity): NodeJS.ProcessEnv {
  const { LOGNAME: _logname, USER: _user, HOST: _host, ...rest } = base;
  return {
    ...rest,
    ...(identity.user === UNSET ? {} : { LOGNAME: identity.user }),
    ...(identity.host === UNSET ? {} : { HOST: identity.host }),
  };
}

/** What valgrind and vgdb write for a variable that is not set. */
const UNSET = '???';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
