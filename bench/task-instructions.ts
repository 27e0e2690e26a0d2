// A legacy immediate task's cost in instructions, which moves far less than seconds on this shared
// machine: each serving process of benchmark 1 (the bridge, the floor, the floor with the promised
// writes, the promised writes on the stack, and with `--baseline <entry>` an earlier build) runs
// under valgrind's callgrind; the same closed loop as benchmark 1 warms it up, callgrind's counters
// are zeroed, a fixed number of tasks is served, and the counters are dumped: instructions per
// task of the whole process (its main thread, V8's compilers and collector, libuv's pool).
// `npm run bench:task-instructions [-- --baseline <copy of an earlier dist>/bundle/main.js] [-- --tasks 300,1000] [-- --keep-dumps <dir>]`
// A few minutes per arm (a process under callgrind runs some 50 times slower); two arms at a time.
// On a quiet machine: what runs by the clock grows with the wall time per task (see the output).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { CustomerRotation, legacyImmediateArm } from './arms.js';
import { dumpedInstructions, vgdbEnvironment, vgdbIdentity } from './callgrind.js';
import { closedLoopOf } from './load.js';
import { startBridgeProcess, startFloorProcess, startSimulatorProcess, type RunningProcess, type UnderTool } from './processes.js';
import { count, ratio, say, section, table } from './report.js';
import { benchStartSettings, overrideNodeFlags, settingsWords } from './start-flags.js';
import { createWorld, type World } from './world.js';

/** As benchmark 1's closed loop: its customers and its concurrency. */
const CUSTOMERS = 200;
const CONCURRENCY = 16;
/** Start-up under callgrind takes a minute or more where it takes a second. */
const READY_UNDER_CALLGRIND_MS = 10 * 60_000;

interface TaskArm {
  /** Its name in `--arms`. */
  key: string;
  name: string;
  start(world: World, upstreamUrl: string, tool: UnderTool): Promise<RunningProcess>;
}

interface Counted {
  name: string;
  tasks: number;
  instructions: number;
  errors: string;
}

const run = promisify(execFile);

/**
 * Sends a run's callgrind a command through vgdb's pipes in the world's folder, as valgrind named
 * them (bench/callgrind.ts vgdbIdentity); vgdb answers once callgrind has carried it out, and
 * writes an error to stderr when it could not reach the run (callgrind_control still prints "OK" then).
 */
async function control(vgdbPrefix: string, pid: number, command: '--zero' | '--dump'): Promise<void> {
  const identity = vgdbIdentity(readdirSync(dirname(vgdbPrefix)), basename(vgdbPrefix), pid);
  const { stdout, stderr } = await run('callgrind_control', [`--vgdb-prefix=${vgdbPrefix}`, command, String(pid)], { env: vgdbEnvironment(process.env, identity) });
  if (/error|failed/i.test(stderr) || !/\bOK\b/.test(stdout)) throw new Error(`callgrind_control ${command} ${pid}: ${(stderr || stdout).trim() || 'no answer'}`);
}

/** An arm's name as a file name. */
const slug = (arm: TaskArm) => arm.name.replace(/\W+/g, '-');

async function countTasks(arm: TaskArm, warmup: number, tasks: number, keepDumpsIn: string | undefined): Promise<Counted> {
  const world = createWorld(`task-instructions-${slug(arm)}`, CUSTOMERS);
  const simulator = await startSimulatorProcess(world.mappings);
  const out = join(world.root, 'callgrind.out');
  const vgdbPrefix = join(world.root, 'vgdb');
  let served: RunningProcess | undefined;
  try {
    served = await arm.start(world, simulator.url, {
      wrapper: ['valgrind', '--tool=callgrind', `--callgrind-out-file=${out}`, `--vgdb-prefix=${vgdbPrefix}`, '--smc-check=all-non-file'],
      readyTimeoutMs: READY_UNDER_CALLGRIND_MS,
    });
    const load = legacyImmediateArm(arm.name, served.url, new CustomerRotation(world.customers));
    try {
      const warm = await closedLoopOf(load.operation, CONCURRENCY, warmup);
      await control(vgdbPrefix, served.pid, '--zero');
      const measured = await closedLoopOf(load.operation, CONCURRENCY, tasks);
      await control(vgdbPrefix, served.pid, '--dump');
      const dumps = readdirSync(world.root).filter((file) => file.startsWith('callgrind.out.'));
      if (dumps.length !== 1) throw new Error(`${arm.name}: expected one callgrind dump, found ${dumps.join(', ') || 'none'}`);
      if (keepDumpsIn) copyFileSync(join(world.root, dumps[0]!), join(keepDumpsIn, `callgrind.${slug(arm)}.out`));
      return {
        name: arm.name,
        tasks: measured.ok,
        instructions: dumpedInstructions(readFileSync(join(world.root, dumps[0]!), 'utf8')),
        errors: [warm.describeErrors(), measured.describeErrors()].filter(Boolean).join('; '),
      };
    } finally {
      await load.close();
    }
  } finally {
    await served?.stop();
    await simulator.stop();
    world.remove();
  }
}

const program = new Command('bench:task-instructions')
  .option('--baseline <entry>', 'also count an earlier build (main.js of a copy of an earlier dist/)')
  .option('--arms <names>', 'only these arms, comma-separated (bridge, baseline, stack, floor-with-writes, floor)')
  .option('--node-flags <flags>', "Node flags (and NAME=value variables) for every arm instead of `npm start`'s")
  .option('--keep-dumps <dir>', 'copy each arm\'s dump there (for callgrind_annotate)')
  .option('--tasks <warmup,measured>', 'tasks served before the counters are zeroed, and counted after', '300,1000')
  .parse();
const options = program.opts<{ baseline?: string; arms?: string; nodeFlags?: string; keepDumps?: string; tasks: string }>();
if (options.nodeFlags !== undefined) overrideNodeFlags(options.nodeFlags.split(/\s+/).filter(Boolean));
const keepDumpsIn = options.keepDumps;
if (keepDumpsIn) mkdirSync(keepDumpsIn, { recursive: true });
const [warmup, tasks] = options.tasks.split(',').map(Number) as [number, number];
if (!(warmup >= 0 && tasks > 0)) throw new Error('--tasks wants the warm-up and the measured count (300,1000)');

// Every arm with `npm start`'s Node flags and variables, as in benchmark 1.
const { flags, env } = benchStartSettings();
const started = (upstreamUrl: string, tool: UnderTool) => ({ ...tool, upstreamUrl, nodeArgs: flags, nodeEnv: env });
const FLOOR = 'floor';
const allArms: TaskArm[] = [
  { key: 'bridge', name: 'bridge', start: (world, url, tool) => startBridgeProcess({ ...started(url, tool), mappings: world.mappings, db: world.db }) },
  ...(options.baseline
    ? [{ key: 'baseline', name: 'bridge, baseline build', start: (world: World, url: string, tool: UnderTool) => startBridgeProcess({ ...started(url, tool), mappings: world.mappings, db: world.db, script: options.baseline }) }]
    : []),
  { key: 'stack', name: 'promised writes on the stack', start: (world, url, tool) => startFloorProcess({ ...started(url, tool), world: world.floorWorld, store: world.db, onStack: true }) },
  { key: 'floor-with-writes', name: 'floor with the promised writes', start: (world, url, tool) => startFloorProcess({ ...started(url, tool), world: world.floorWorld, store: world.db }) },
  { key: 'floor', name: FLOOR, start: (world, url, tool) => startFloorProcess({ ...started(url, tool), world: world.floorWorld }) },
];

const wanted = options.arms?.split(',').map((key) => key.trim());
const unknown = wanted?.filter((key) => !allArms.some((arm) => arm.key === key)) ?? [];
if (unknown.length) throw new Error(`--arms: no arm ${unknown.join(', ')} (${allArms.map((arm) => arm.key).join(', ')})`);
const arms = wanted ? allArms.filter((arm) => wanted.includes(arm.key)) : allArms;

section(`A legacy immediate task in instructions (callgrind), ${count(tasks)} tasks after ${count(warmup)} of warm-up, ${CONCURRENCY} concurrent`);
if (options.nodeFlags !== undefined) say(`Every arm runs with ${settingsWords(benchStartSettings()).join(' ') || 'no flags'} instead of npm start's settings.\n`);
const counted: Counted[] = [];
// Two arms at a time, one per core, so both see the same machine.
for (let i = 0; i < arms.length; i += 2) counted.push(...(await Promise.all(arms.slice(i, i + 2).map((arm) => countTasks(arm, warmup, tasks, keepDumpsIn)))));
for (const arm of counted) if (arm.tasks !== tasks) throw new Error(`${arm.name}: served ${arm.tasks} of ${tasks} tasks (${arm.errors})`);

const perTask = (arm: Counted) => arm.instructions / arm.tasks;
const floor = counted.find((arm) => arm.name === FLOOR);
const baseline = counted.find((arm) => arm.name === 'bridge, baseline build');
const millions = (n: number, digits = 1) => `${(n / 1e6).toFixed(digits)} M`;
say(
  table(
    ['arm', `instructions, ${count(tasks)} tasks`, 'per task', ...(floor ? ['/ floor'] : []), ...(baseline ? ['/ baseline build'] : [])],
    counted.map((arm) => [
      arm.name,
      millions(arm.instructions),
      millions(perTask(arm), 3),
      ...(floor ? [ratio(perTask(arm) / perTask(floor))] : []),
      ...(baseline ? [ratio(perTask(arm) / perTask(baseline))] : []),
    ]),
  ),
);
say(
  "\nEach count covers the whole serving process between the zeroing and the dump (its main thread, V8's compilers and collector, libuv's pool), " +
    'not the load generator or the simulator. Timers run about 50 times fewer per task under callgrind (the bridge\'s ledger flush, its readiness ' +
    "checks), and V8's background work keeps its own schedule, so a count moves by a few per cent between runs: compare arms of one run. " +
    'What runs by the clock (those timers, V8\'s memory reducer) grows with the wall time each task takes: run this on an otherwise quiet machine.',
);
