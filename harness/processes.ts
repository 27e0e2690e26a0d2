// The process harness shared by the tests and the benchmarks: starts a compiled entry of
// the project (bridge, simulator, CLI, a benchmark's own child) with the pinned Node 24,
// collects its output, waits on its output or on a condition (never on a fixed delay), and
// stops it. Every process it starts is killed when the starting process exits, so a failed
// test or a crashed benchmark leaves nothing behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  // The same from `harness/` (vitest) and from `dist/harness/` (compiled benchmarks).
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('harness: package.json not found above the harness module');
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot();

/**
 * The compiled entry points, relative to the project root (built by `npm run build`). The bridge's
 * is the bundle `npm start` and the image run (harness/bundle.mjs), so what the tests start is
 * what ships.
 */
export const entries = {
  bridge: 'dist/bundle/main.js',
  simulator: 'dist/src/simulator/main.js',
  cli: 'dist/src/cli/main.js',
} as const;

const binFolder = join(projectRoot, 'node_modules/.bin');
/** The Node the project pins (its `node` dependency), whatever `node` the shell finds first. */
export const pinnedNode = existsSync(join(binFolder, 'node')) ? join(binFolder, 'node') : process.execPath;

const DEFAULT_WAIT_MS = 30_000;
const DEFAULT_GRACE_MS = 10_000;

export interface StartOptions {
  /** The child's environment; only PATH (the pinned Node first) and HOME are added. */
  env?: Record<string, string>;
  args?: string[];
  /** Node flags before the entry (e.g. `--cpu-prof`, heap limits). */
  nodeArgs?: string[];
  /** A command the pinned Node runs under (e.g. valgrind and its options); the child keeps its pid, as valgrind execs its tool. */
  wrapper?: string[];
  /** Written to the child's stdin, which is then closed; without it stdin is /dev/null. */
  stdin?: string;
  /** An IPC channel to the child (`process.send` there, `NodeProcess.child.on('message')` here). */
  ipc?: boolean;
  /** For messages; defaults to the entry's file name. */
  name?: string;
  /** Keep only this many characters of each output (a long benchmark's logs); default all. */
  keepOutput?: number;
  /** Defaults to the project root. */
  cwd?: string;
  /** Run as this user and group (the tests run as root; an image runs unprivileged). */
  uid?: number;
  gid?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function wrapped(wrapper: string[], command: string[]): [string, string[]] {
  const [program, ...args] = [...wrapper, ...command];
  return [program!, args];
}

const live = new Set<NodeProcess>();
process.once('exit', () => {
  for (const started of live) started.child.kill('SIGKILL');
});

export class NodeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles once the child has exited and its output is fully read. */
  readonly exited: Promise<Exit>;
  private out = '';
  private err = '';
  private all = '';
  private done: Exit | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly keep: number;

  /** `program`: another command than the pinned Node on `entry` (npm, for `npm start`). */
  constructor(entry: string, options: StartOptions = {}, program?: { command: string; args: string[] }) {
    this.name = options.name ?? entry.split('/').at(-1)!;
    this.keep = options.keepOutput ?? Number.POSITIVE_INFINITY;
    const script = isAbsolute(entry) ? entry : join(projectRoot, entry);
    const [command, args] = program
      ? [program.command, program.args]
      : wrapped(options.wrapper ?? [], [pinnedNode, ...(options.nodeArgs ?? []), script, ...(options.args ?? [])]);
    this.child = spawn(command, args, {
      cwd: options.cwd ?? projectRoot,
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
      env: { PATH: `${binFolder}${delimiter}${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '', ...options.env },
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    });
    this.pid = this.child.pid ?? -1; // -1: not started; the 'error' event below says why
    live.add(this);
    this.child.stdout!.on('data', (chunk: Buffer) => this.collect(chunk, 'out'));
    this.child.stderr!.on('data', (chunk: Buffer) => this.collect(chunk, 'err'));
    if (options.stdin !== undefined) this.child.stdin!.end(options.stdin);
    this.exited = new Promise<Exit>((resolve) => {
      const settle = (exit: Exit) => {
        if (this.done) return;
        live.delete(this);
        this.done = exit;
        this.notify();
        resolve(exit);
      };
      // A child that cannot be started counts as exited, its error in the output.
      this.child.once('error', (error) => {
        this.all += `\n[harness] ${this.name}: ${error.message}\n`;
        settle({ code: null, signal: null });
      });
      this.child.once('close', (code, signal) => settle({ code, signal }));
    });
  }

  stdout(): string {
    return this.out;
  }

  stderr(): string {
    return this.err;
  }

  /** stdout and stderr interleaved as they arrived. */
  output(): string {
    return this.all;
  }

  get running(): boolean {
    return this.done === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first match of `pattern` in the output, as soon as it appears; fails if the child exits first. */
  waitForOutput(pattern: RegExp, timeoutMs = DEFAULT_WAIT_MS): Promise<RegExpExecArray> {
    return this.waitFor(`${pattern}`, (output) => pattern.exec(output) ?? undefined, timeoutMs);
  }

  /** The `url` field of the first JSON log line whose `msg` is `message`. */
  waitForLoggedUrl(message: string, timeoutMs = DEFAULT_WAIT_MS): Promise<string> {
    const tag = `"msg":${JSON.stringify(message)}`;
    const urlIn = (output: string) => {
      for (const line of output.split('\n')) if (line.includes(tag)) return /"url":"(http:\/\/[^"]+)"/.exec(line)?.[1];
      return undefined;
    };
    return this.waitFor(`a log line "${message}" with a url`, urlIn, timeoutMs);
  }

  /**
   * Re-evaluates `probe` over the whole output on every chunk the child prints, and resolves
   * with its first defined result; fails if the child exits first or after `timeoutMs`.
   */
  waitFor<T>(what: string, probe: (output: string) => T | undefined, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = probe(this.all);
        if (found !== undefined) finish(() => resolve(found));
        else if (this.done) finish(() => reject(this.failure(`exited (${this.done!.signal ?? this.done!.code}) before ${what}`)));
      };
      const timer = setTimeout(() => finish(() => reject(this.failure(`printed no ${what} in ${timeoutMs} ms`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal` and waits for the exit; escalates to SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = DEFAULT_GRACE_MS): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const escalate = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(escalate);
    }
  }

  kill(): Promise<Exit> {
    return this.stop('SIGKILL');
  }

  /** Peak resident set size so far (VmHWM), in bytes (Linux). */
  peakRss(): number {
    return procStatusField(this.pid, 'VmHWM');
  }

  /** Resident set size now (VmRSS), in bytes (Linux). */
  rss(): number {
    return procStatusField(this.pid, 'VmRSS');
  }

  private collect(chunk: Buffer, stream: 'out' | 'err'): void {
    const text = chunk.toString('utf8');
    if (stream === 'out') this.out = this.trimmed(this.out + text);
    else this.err = this.trimmed(this.err + text);
    this.all = this.trimmed(this.all + text);
    this.notify();
  }

  private trimmed(text: string): string {
    return text.length > this.keep ? text.slice(-this.keep) : text;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private failure(what: string): Error {
    return new Error(`${this.name} ${what}:\n${this.all.slice(-4000)}`);
  }
}

/** Starts a compiled entry (relative to the project root, or absolute). */
export function startNode(entry: string, options: StartOptions = {}): NodeProcess {
  return new NodeProcess(entry, options);
}

/** `npm <args>` in the project folder (the machine's npm; its scripts find the pinned Node first on PATH). */
export function startNpm(args: string[], options: Omit<StartOptions, 'args' | 'nodeArgs'> = {}): NodeProcess {
  return startCommand('npm', args, { name: `npm ${args[0] ?? ''}`.trim(), ...options });
}

/** Any program (another copy's node, say), with the harness's output collection and waits. */
export function startCommand(command: string, args: string[], options: Omit<StartOptions, 'args' | 'nodeArgs'> = {}): NodeProcess {
  return new NodeProcess(command, { name: command.split('/').at(-1)!, ...options }, { command, args });
}

export interface Finished extends Exit {
  stdout: string;
  stderr: string;
  output: string;
}

/** Runs an entry to its end and returns what it printed (never throws on a non-zero exit). */
export async function runNode(entry: string, options: StartOptions = {}): Promise<Finished> {
  const started = startNode(entry, options);
  const exit = await started.exited;
  return { ...exit, stdout: started.stdout(), stderr: started.stderr(), output: started.output() };
}

export interface StartedSimulator {
  process: NodeProcess;
  url: string;
}

/** `npm run simulator` on a free port (SIMULATOR_PORT 0 unless `env` sets it); resolves once it says where it listens. */
export async function startSimulatorProcess(env: Record<string, string>, timeoutMs = DEFAULT_WAIT_MS): Promise<StartedSimulator> {
  const started = startNode(entries.simulator, { name: 'simulator', env: { SIMULATOR_PORT: '0', ...env } });
  try {
    const [, url] = await started.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/, timeoutMs);
    return { process: started, url: url! };
  } catch (error) {
    await started.kill();
    throw error;
  }
}

/** Stops every process still running (SIGTERM, then SIGKILL after the grace period). */
export async function stopAll(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await Promise.all([...live].map((started) => started.stop(signal)));
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Pause between two evaluations of the condition. */
  intervalMs?: number;
  /** Fails at once, with its output, if this process exits while waiting. */
  process?: NodeProcess;
}

/**
 * Evaluates `condition` until it returns something other than undefined/false (a thrown error
 * counts as "not yet"); fails with `what` after the timeout. For states only a query can show
 * (an HTTP probe, a row in a database); output is awaited with `NodeProcess.waitForOutput`.
 */
export async function waitUntil<T>(what: string, condition: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = DEFAULT_WAIT_MS, intervalMs = 20, process: watched } = options;
  const giveUpAt = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (watched && !watched.running) {
      const exit = await watched.exited;
      throw new Error(`${watched.name} exited (${exit.signal ?? exit.code}) while waiting for ${what}:\n${watched.output().slice(-4000)}`);
    }
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= giveUpAt)
      throw new Error(`${what}: not after ${timeoutMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}${watched ? `\n${watched.output().slice(-4000)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A TCP port free on 127.0.0.1 right now (for a child that cannot report the port it took). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** A field of /proc/<pid>/status in bytes (VmHWM, VmRSS, ...). */
export function procStatusField(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`${field} missing for process ${pid}`);
  return Number(match[1]) * 1024;
}
