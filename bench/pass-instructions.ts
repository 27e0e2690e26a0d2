// The scheduler pass's cost in instructions, which moves far less than seconds on this shared
// machine: each arm's pass process runs under valgrind's callgrind (instructions counted, not
// timed), once over a small world and once over a larger one, and the difference divided by the
// extra changes is its cost per change (start-up's fixed part cancels; the bridge's import of the
// extra customers at start-up stays in). Arms: this build's pass, the floor with the promised
// writes (bench/drain-floor.ts), and with `--baseline <entry>` an earlier build's pass.
// `npm run bench:pass-instructions [-- --baseline <copy of an earlier dist>/bundle/main.js] [-- --changes 300,1300]`
// About two minutes per arm (a pass under callgrind runs some 60 times slower).
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Command } from 'commander';
import { baselineSchedulerChild, baselineSeeding } from './baseline.js';
import { collectedInstructions, perChange } from './callgrind.js';
import { compiled } from './paths.js';
import { startSimulatorProcess } from './processes.js';
import { count, ratio, say, section, table } from './report.js';
import { drainFloorEnv, dueYesterday, schedulerChildEnv } from './scheduler-drain.js';
import { RESULT_PREFIX, type SchedulerChildResult } from './scheduler-result.js';
import { seedPendingChanges } from './seed-store.js';
import { benchStartSettings } from './start-flags.js';
import { createWorld } from './world.js';

const FLOOR = 'floor with the promised writes';

interface Arm {
  name: string;
  script: string;
  seed: typeof seedPendingChanges;
  floor: boolean;
}

async function instructionsOf(arm: Arm, changes: number): Promise<{ instructions: number; applied: number }> {
  const world = createWorld(`instructions-${arm.name.replace(/\W+/g, '-')}-${changes}`, changes);
  const simulator = await startSimulatorProcess(world.mappings);
  const out = `${world.db}.callgrind`;
  try {
    await arm.seed(world.db, world.customers, dueYesterday());
    const { flags, env } = benchStartSettings();
    const armEnv = arm.floor ? drainFloorEnv(world, simulator.url, {}, true) : schedulerChildEnv(world, simulator.url);
    const args = ['--tool=callgrind', `--callgrind-out-file=${out}`, '--smc-check=all-non-file', process.execPath, ...flags, arm.script, ...(arm.floor ? [] : ['{}'])];
    const child = spawn('valgrind', args, { env: { ...process.env, ...env, ...armEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('exit', resolve));
    if (code !== 0) throw new Error(`${arm.name} under callgrind exited with ${code}:\n${stderr.slice(-2000)}`);
    const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
    if (!line) throw new Error(`${arm.name} printed no result`);
    const result = JSON.parse(line.slice(RESULT_PREFIX.length)) as SchedulerChildResult;
    return { instructions: collectedInstructions(stderr), applied: result.pass.applied };
  } finally {
    rmSync(out, { force: true });
    await simulator.stop();
    world.remove();
  }
}

const program = new Command('bench:pass-instructions')
  .option('--baseline <entry>', 'also count an earlier build (main.js of a copy of an earlier dist/)')
  .option('--changes <small,large>', 'the two world sizes', '300,1300')
  .parse();
const options = program.opts<{ baseline?: string; changes: string }>();
const [small, large] = options.changes.split(',').map(Number) as [number, number];
if (!(small > 0 && large > small)) throw new Error('--changes wants two sizes, the smaller first (300,1300)');

const arms: Arm[] = [
  { name: 'bridge', script: compiled.schedulerChild, seed: seedPendingChanges, floor: false },
  ...(options.baseline ? [{ name: 'bridge, baseline build', script: baselineSchedulerChild(options.baseline), seed: await baselineSeeding(options.baseline), floor: false }] : []),
  { name: FLOOR, script: compiled.drainFloor, seed: seedPendingChanges, floor: true },
];
section(`The scheduler pass in instructions (callgrind), ${count(small)} and ${count(large)} due changes`);
const rows: { name: string; small: number; large: number; perChange: number }[] = [];
for (const arm of arms) {
  // The two sizes at once: callgrind's counts do not depend on what else runs.
  const [a, b] = await Promise.all([instructionsOf(arm, small), instructionsOf(arm, large)]);
  if (a.applied !== small || b.applied !== large) throw new Error(`${arm.name}: applied ${a.applied} and ${b.applied}, not ${small} and ${large}`);
  rows.push({ name: arm.name, small: a.instructions, large: b.instructions, perChange: perChange({ changes: small, instructions: a.instructions }, { changes: large, instructions: b.instructions }) });
}
const floor = rows.find((row) => row.name === FLOOR)!;
const baseline = rows.find((row) => row.name === 'bridge, baseline build');
const millions = (n: number, digits = 1) => `${(n / 1e6).toFixed(digits)} M`;
say(
  table(
    ['arm', `instructions, ${count(small)} changes`, `instructions, ${count(large)} changes`, 'per change', `/ ${FLOOR}`, ...(baseline ? ['/ baseline build'] : [])],
    rows.map((row) => [row.name, millions(row.small), millions(row.large), millions(row.perChange, 3), ratio(row.perChange / floor.perChange), ...(baseline ? [ratio(row.perChange / baseline.perChange)] : [])]),
  ),
);
say(
  `\nEach count covers the whole process (start-up, the WAL worker, V8's own threads); the difference of the two sizes leaves the pass. ` +
    "V8's background compilers and collector still run on their own schedule, so a count moves by a few per cent between runs: compare arms of one run.",
);
