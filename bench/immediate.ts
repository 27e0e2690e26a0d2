// Benchmark 1: a legacy immediate task through the bridge, against the floors (a minimal
// forwarder doing only the three v3 calls a task needs, bench/floor.ts; the same keeping the
// durability promises, bench/floor-task.ts; and those promises served on the bridge's libraries,
// bench/floor-on-stack.ts) and against the same v3 calls sent directly, all against one simulator
// in its own process, in one run. Each measured
// process reports its own CPU time (bench/usage.ts), so CPU per task is exact, and its memory.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { closedLoop, openLoop } from './load.js';
import { CustomerRotation, directV3Arm, legacyImmediateArm, type Arm } from './arms.js';
import { startBridgeProcess, startFloorProcess, startSimulatorProcess, type RunningProcess } from './processes.js';
import { count, micros, mib, ms, perSecond, ratio, ratioAgainst, say, section, signedMs, table, verdict, verdictAgainst } from './report.js';
import { benchStartSettings, describeNodeFlags, parseStartSettings, settingsWords } from './start-flags.js';
import { Samples } from './stats.js';
import { printProfiles, summariseProfile, type ProfileSummary } from './profile-summary.js';
import { CpuMeter, profiled, usageOf, type ProcessUsage } from './usage.js';
import { createWorld } from './world.js';

export interface ImmediateParams {
  customers: number;
  /** Open-loop rate, requests per second, the same for every arm. */
  rate: number;
  warmupMs: number;
  /** Measured time per arm, split into `rounds` alternating slices. */
  durationMs: number;
  rounds: number;
  probeConcurrency: number;
  probeMs: number;
  /** Also run a bridge with V8's default memory settings, to price the recommended ones. */
  compareMemoryFlags: boolean;
  /** `--compare-node-flags`: the compared bridge's flags (and NAME=value variables) instead of none (V8's defaults). */
  compareFlags?: string[] | undefined;
  /** `--baseline-node-flags`: the baseline build's flags and variables instead of this build's start settings (an A/B of code and settings together). */
  baselineFlags?: string[] | undefined;
  /** Where to write CPU profiles of the bridge and the floor under one more closed loop (after the measured ones). */
  profileDir?: string | undefined;
  /** Entry of an earlier build, run as one more bridge arm with the same flags and load (an A/B in one run). */
  baseline?: string | undefined;
}

const TARGETS = {
  throughputRatio: 0.7,
  cpuPerTaskOverFloor: 1.8,
  addedP50Ms: 0.7,
  addedP99Ms: 3,
  peakRssOverFloor: 1.2,
  peakRssBytes: 150 * 1024 * 1024,
  idleRssBytes: 80 * 1024 * 1024,
};
/** Share of the offered rate an arm must answer within the window to count as keeping up. */
const SUSTAINED = 0.95;

/** An arm and, when it has one, the process that serves it (measured: CPU per task, memory). */
interface MeasuredArm extends Arm {
  served?: RunningProcess;
  idleRss?: number;
  open: Samples;
  closed: Samples;
  openCpu?: CpuMeter;
  closedCpu?: CpuMeter;
  simulatorOpenCpu: CpuMeter;
  simulatorClosedCpu: CpuMeter;
}

export async function benchImmediate(params: ImmediateParams): Promise<void> {
  const settings = benchStartSettings();
  const flags = settingsWords(settings);
  section('1. Legacy immediate_upgrade/immediate_downgrade: bridge vs floor vs the v3 calls sent directly');
  say(
    `${count(params.customers)} customers alternating Basic/Silver, each request flips one. Every arm makes the same three v3 calls ` +
      '(GET state + GET offerings in parallel, then PUT offerings) against one simulator in its own process; no v3 read is cached. ' +
      'bridge: `npm start` as the README recommends; floor: a minimal forwarder in its own process (node:http in, the same undici calls out, ' +
      'a fixed success answer: no auth, rules, store or logging); floor with the promised writes: the same forwarder keeping the bridge\'s ' +
      'durability promises through the bridge\'s own store (the customer\'s lock, the write intent committed before the PUT, the record ' +
      'committed before the answer) and nothing else; promised writes on the stack: that forwarder served on the bridge\'s libraries ' +
      '(Express routing, zod checking the form, the bridge\'s pino logger writing an access line per request, a prom-client histogram ' +
      'with the default metrics); direct: the load generator calls v3 itself. The floors are bundled as the bridge is.',
  );
  say(
    `Open loop: ${params.rate} req/s per arm, ${params.warmupMs / 1000} s warm-up per arm, then ${params.durationMs / 1000} s measured per arm ` +
      `in ${params.rounds} alternating slices. Closed loop: ${params.probeConcurrency} concurrent for ${params.probeMs / 1000} s per arm, in the same alternating slices. ` +
      'Latency counts from the scheduled start of each request. CPU/task: the serving process\'s own process.cpuUsage() over the measured ' +
      'slices divided by the tasks it answered in them (µs). Node flags of the bridge and the floor: ' +
      `${describeNodeFlags()}.`,
  );

  const world = createWorld('immediate', params.customers);
  const started: RunningProcess[] = [];
  const arms: MeasuredArm[] = [];
  try {
    const simulator = await startSimulatorProcess(world.mappings);
    started.push(simulator);
    const rotation = new CustomerRotation(world.customers);
    const measured = (arm: Arm, served?: RunningProcess): MeasuredArm => ({
      ...arm,
      ...(served ? { served, idleRss: served.rss(), openCpu: new CpuMeter(served.process), closedCpu: new CpuMeter(served.process) } : {}),
      open: new Samples(),
      closed: new Samples(),
      simulatorOpenCpu: new CpuMeter(simulator.process),
      simulatorClosedCpu: new CpuMeter(simulator.process),
    });

    const bridge = await startBridgeProcess({ mappings: world.mappings, db: world.db, upstreamUrl: simulator.url, nodeArgs: settings.flags, nodeEnv: settings.env });
    started.push(bridge);
    const viaBridge = measured(legacyImmediateArm('bridge', bridge.url, rotation), bridge);
    arms.push(viaBridge);
    let baseline: MeasuredArm | undefined;
    if (params.baseline) {
      const own = params.baselineFlags ? parseStartSettings(params.baselineFlags) : settings;
      const earlier = await startBridgeProcess({ mappings: world.mappings, db: `${world.db}-baseline`, upstreamUrl: simulator.url, nodeArgs: own.flags, nodeEnv: own.env, script: params.baseline });
      started.push(earlier);
      const label = params.baselineFlags ? `bridge, baseline build, ${params.baselineFlags.length ? params.baselineFlags.join(' ') : 'no settings'}` : 'bridge, baseline build';
      baseline = measured(legacyImmediateArm(label, earlier.url, rotation), earlier);
      arms.push(baseline);
    }
    let defaults: MeasuredArm | undefined;
    const compared = params.compareFlags ?? [];
    if (params.compareMemoryFlags && (flags.length || compared.length)) {
      const comparedSettings = parseStartSettings(compared);
      const plain = await startBridgeProcess({ mappings: world.mappings, db: `${world.db}-defaults`, upstreamUrl: simulator.url, nodeArgs: comparedSettings.flags, nodeEnv: comparedSettings.env });
      started.push(plain);
      defaults = measured(legacyImmediateArm(compared.length ? `bridge, ${compared.join(' ')}` : 'bridge, V8 default memory settings', plain.url, rotation), plain);
      arms.push(defaults);
    }
    // The floor runs with the bridge's settings: the same runtime, so the ratios price the bridge's own work.
    const floorProcess = await startFloorProcess({ world: world.floorWorld, upstreamUrl: simulator.url, nodeArgs: settings.flags, nodeEnv: settings.env });
    started.push(floorProcess);
    const floor = measured(legacyImmediateArm('floor', floorProcess.url, rotation), floorProcess);
    // The floor keeping the promises (intent before the PUT, record before the answer) through the bridge's store.
    const promisedProcess = await startFloorProcess({ world: world.floorWorld, upstreamUrl: simulator.url, nodeArgs: settings.flags, nodeEnv: settings.env, store: `${world.db}-floor` });
    started.push(promisedProcess);
    const promised = measured(legacyImmediateArm('floor with the promised writes', promisedProcess.url, rotation), promisedProcess);
    // The same promises on the bridge's libraries: what the stack costs before the bridge's own work.
    const stackProcess = await startFloorProcess({ world: world.floorWorld, upstreamUrl: simulator.url, nodeArgs: settings.flags, nodeEnv: settings.env, store: `${world.db}-stack`, onStack: true });
    started.push(stackProcess);
    const onStack = measured(legacyImmediateArm('promised writes on the stack', stackProcess.url, rotation), stackProcess);
    const direct = measured(directV3Arm(simulator.url, rotation));
    arms.push(floor, promised, onStack, direct);

    for (const arm of arms) await openLoop(arm.operation, params.rate, params.warmupMs);
    const slice = params.durationMs / params.rounds;
    for (let round = 0; round < params.rounds; round++) {
      // Rotate which arm goes first, so none always runs on a machine another just warmed.
      const order = arms.map((_, i) => arms[(i + round) % arms.length]!);
      for (const arm of order) arm.open.merge(await measure(arm, 'open', () => openLoop(arm.operation, params.rate, slice)));
    }
    // The closed loop in alternating slices too: on a shared machine, load that comes and goes
    // would otherwise land on one arm's whole measurement and skew the ratios.
    for (let round = 0; round < params.rounds; round++) {
      const order = arms.map((_, i) => arms[(i + round) % arms.length]!);
      for (const arm of order) arm.closed.merge(await measure(arm, 'closed', () => closedLoop(arm.operation, params.probeConcurrency, params.probeMs / params.rounds)));
    }

    const memory = await Promise.all(
      arms.filter((arm) => arm.served).map(async (arm) => ({ arm, peak: arm.served!.peakRss(), idle: arm.idleRss!, end: await usageOf(arm.served!.process) })),
    );
    const simulatorPeak = simulator.peakRss();
    report(params, arms, memory, simulatorPeak);

    const peakOf = (arm: MeasuredArm) => memory.find((m) => m.arm === arm)!.peak;
    const b = viaBridge;
    const cpuRatio = b.closedCpu!.perTask / floor.closedCpu!.perTask;
    const addedP50 = b.open.percentile(50) - direct.open.percentile(50);
    const addedP99 = b.open.percentile(99) - direct.open.percentile(99);
    const openRatio = b.open.throughput / direct.open.throughput;
    const rssRatio = peakOf(b) / peakOf(floor);
    say('\nBridge against the floor (same run, same load):');
    say(
      table(
        ['measure', 'bridge', 'floor', 'bridge / floor'],
        [
          [`throughput, closed loop (${params.probeConcurrency} concurrent)`, perSecond(b.closed.throughput), perSecond(floor.closed.throughput), ratio(b.closed.throughput / floor.closed.throughput)],
          ['p50 / p99, closed loop', `${ms(b.closed.percentile(50))} / ${ms(b.closed.percentile(99))}`, `${ms(floor.closed.percentile(50))} / ${ms(floor.closed.percentile(99))}`, `${ratio(b.closed.percentile(50) / floor.closed.percentile(50))} / ${ratio(b.closed.percentile(99) / floor.closed.percentile(99))}`],
          [`p50 / p99, open loop at ${params.rate} req/s`, `${ms(b.open.percentile(50))} / ${ms(b.open.percentile(99))}`, `${ms(floor.open.percentile(50))} / ${ms(floor.open.percentile(99))}`, `${ratio(b.open.percentile(50) / floor.open.percentile(50))} / ${ratio(b.open.percentile(99) / floor.open.percentile(99))}`],
          ['CPU per task, closed loop', micros(b.closedCpu!.perTask), micros(floor.closedCpu!.perTask), ratio(cpuRatio)],
          ['CPU per task, open loop', micros(b.openCpu!.perTask), micros(floor.openCpu!.perTask), ratio(b.openCpu!.perTask / floor.openCpu!.perTask)],
          ['peak RSS (VmHWM, whole benchmark)', mib(peakOf(b)), mib(peakOf(floor)), ratio(rssRatio)],
          ['idle RSS (after start-up)', mib(b.idleRss!), mib(floor.idleRss!), ratio(b.idleRss! / floor.idleRss!)],
        ],
      ),
    );

    const promisedRatio = promised.closedCpu!.perTask / floor.closedCpu!.perTask;
    say(
      `\nWhat the promises cost (closed loop, same run): the floor with the promised writes (the bridge's store: lock, intent before the PUT, ` +
        `record before the answer) ${micros(promised.closedCpu!.perTask)} per task, ${ratio(promisedRatio)} x the floor's; ` +
        `the bridge ${ratio(b.closedCpu!.perTask / promised.closedCpu!.perTask)} x that.`,
    );
    say('\nWhat each layer adds (same run): each arm against the floor, as the targets measure the bridge:');
    say(
      table(
        ['arm', 'CPU per task, closed loop', '/ floor\'s', 'added p50 / p99 over direct, open loop', 'peak RSS', '/ floor\'s'],
        [floor, promised, onStack, b].map((arm) => [
          arm.name,
          micros(arm.closedCpu!.perTask),
          ratio(arm.closedCpu!.perTask / floor.closedCpu!.perTask),
          `${signedMs(arm.open.percentile(50) - direct.open.percentile(50))} / ${signedMs(arm.open.percentile(99) - direct.open.percentile(99))}`,
          mib(peakOf(arm)),
          ratio(peakOf(arm) / peakOf(floor)),
        ]),
      ),
    );

    // A target the bridge misses names the floors that miss it too (the layer table above): what no
    // bridge doing as much as they do could meet.
    const againstFloors = (of: (arm: MeasuredArm) => number, limit: number, shown: (value: number) => string) =>
      verdictAgainst(of(b), limit, [floor, promised, onStack].map((arm) => ({ name: arm.name, value: of(arm) })), shown);
    const cpuShown = ratioAgainst(TARGETS.cpuPerTaskOverFloor);
    const rssShown = ratioAgainst(TARGETS.peakRssOverFloor);
    const rows = [
      [`throughput bridge / direct, open loop at ${params.rate} req/s`, ratio(openRatio), `>= ${TARGETS.throughputRatio}`, verdict(openRatio >= TARGETS.throughputRatio)],
      ['bridge CPU per task / floor\'s, closed loop', cpuShown(cpuRatio), `<= ${TARGETS.cpuPerTaskOverFloor}`, againstFloors((arm) => arm.closedCpu!.perTask / floor.closedCpu!.perTask, TARGETS.cpuPerTaskOverFloor, cpuShown)],
      [`added p50 over direct, open loop at ${params.rate} req/s`, signedMs(addedP50), `<= ${TARGETS.addedP50Ms} ms`, againstFloors((arm) => arm.open.percentile(50) - direct.open.percentile(50), TARGETS.addedP50Ms, signedMs)],
      [`added p99 over direct, open loop at ${params.rate} req/s`, signedMs(addedP99), `<= ${TARGETS.addedP99Ms} ms`, againstFloors((arm) => arm.open.percentile(99) - direct.open.percentile(99), TARGETS.addedP99Ms, signedMs)],
      ['bridge peak RSS / floor\'s', rssShown(rssRatio), `<= ${TARGETS.peakRssOverFloor}`, againstFloors((arm) => peakOf(arm) / peakOf(floor), TARGETS.peakRssOverFloor, rssShown)],
      [`bridge peak RSS, whole benchmark (flags: ${flags.length ? flags.join(' ') : 'none'})`, mib(peakOf(b)), `<= ${mib(TARGETS.peakRssBytes)}`, verdict(peakOf(b) <= TARGETS.peakRssBytes)],
      ['bridge idle RSS', mib(b.idleRss!), `<= ${mib(TARGETS.idleRssBytes)}`, verdict(b.idleRss! <= TARGETS.idleRssBytes)],
    ];
    if (baseline)
      rows.push([
        'A/B: CPU per task this build / baseline build (closed loop; open loop)',
        `${ratio(b.closedCpu!.perTask / baseline.closedCpu!.perTask)}; ${ratio(b.openCpu!.perTask / baseline.openCpu!.perTask)}`,
        '-',
        `baseline: ${micros(baseline.closedCpu!.perTask)}, peak RSS ${mib(peakOf(baseline))}, idle ${mib(baseline.idleRss!)}`,
      ]);
    if (params.profileDir)
      await profileArms(params, params.profileDir, [
        { arm: viaBridge, name: 'bridge', detailed: true },
        { arm: floor, name: 'floor' },
        { arm: onStack, name: 'promised writes on the stack' },
        ...(baseline ? [{ arm: baseline, name: 'bridge, baseline build', detailed: true }] : []),
      ]);
    if (defaults)
      rows.push([
        `CPU cost of the memory settings (CPU/task with / ${compared.length ? compared.join(' ') : 'without'}, closed loop)`,
        ratio(b.closedCpu!.perTask / defaults.closedCpu!.perTask),
        '-',
        `peak RSS ${compared.length ? `with ${compared.join(' ')}` : 'without'}: ${mib(peakOf(defaults))}, idle ${mib(defaults.idleRss!)}`,
      ]);
    say('\nTargets:');
    say(table(['measure', 'value', 'target', ''], rows));
  } finally {
    for (const arm of arms) await arm.close();
    for (const running of started.reverse()) await running.stop();
    world.remove();
  }
}

/** Runs one load slice of an arm, metering its process's CPU and the simulator's. */
async function measure(arm: MeasuredArm, loop: 'open' | 'closed', run: () => Promise<Samples>): Promise<Samples> {
  const tasks = (s: Samples) => s.ok;
  const simulatorMeter = loop === 'open' ? arm.simulatorOpenCpu : arm.simulatorClosedCpu;
  const meter = loop === 'open' ? arm.openCpu : arm.closedCpu;
  return simulatorMeter.around(() => (meter ? meter.around(run, tasks) : run()), tasks);
}

function report(params: ImmediateParams, arms: MeasuredArm[], memory: { arm: MeasuredArm; peak: number; idle: number; end: ProcessUsage }[], simulatorPeak: number): void {
  const header = ['arm', 'requests', 'throughput', 'p50', 'p99', 'max', 'errors', 'CPU/task', 'simulator CPU/task'];
  const row = (arm: MeasuredArm, s: Samples, cpu: CpuMeter | undefined, simulatorCpu: CpuMeter) => [
    arm.name,
    count(s.count),
    perSecond(s.throughput),
    ms(s.percentile(50)),
    ms(s.percentile(99)),
    ms(s.percentile(100)),
    count(s.errors),
    cpu ? micros(cpu.perTask) : '-',
    micros(simulatorCpu.perTask),
  ];
  say(`\nOpen loop at ${params.rate} req/s:`);
  say(table(header, arms.map((arm) => row(arm, arm.open, arm.openCpu, arm.simulatorOpenCpu))));
  say(`\nClosed loop, ${params.probeConcurrency} concurrent (max throughput):`);
  say(table(header, arms.map((arm) => row(arm, arm.closed, arm.closedCpu, arm.simulatorClosedCpu))));
  say('\nMemory of the serving processes:');
  say(
    table(
      ['process', 'idle RSS (after start-up)', 'peak RSS (VmHWM, whole benchmark)', 'at the end: V8 heap used / committed', 'at the end: RSS outside the V8 heap'],
      [
        ...memory.map(({ arm, peak, idle, end }) => [arm.name, mib(idle), mib(peak), `${mib(end.heapUsed)} / ${mib(end.heapTotal)}`, mib(end.rss - end.heapTotal)]),
        ['simulator (all arms)', '-', mib(simulatorPeak), '-', '-'],
      ],
    ),
  );
  for (const arm of arms)
    if (arm.open.throughput < params.rate * SUSTAINED)
      say(`WARNING: ${arm.name} did not sustain ${params.rate} req/s: its open-loop latencies include queueing (try --rate lower)`);
  for (const arm of arms)
    for (const [label, samples] of [['open', arm.open], ['closed', arm.closed]] as const) {
      const errors = samples.describeErrors();
      if (errors) say(`errors (${label} loop, ${arm.name}): ${errors}`);
    }
}

/** One more closed loop per arm with its CPU profiler on (not measured: profiling costs CPU), summarised; the busiest functions of the `detailed` ones listed. */
async function profileArms(params: ImmediateParams, dir: string, profiledArms: { arm: MeasuredArm; name: string; detailed?: boolean }[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const summaries: ProfileSummary[] = [];
  const paths: string[] = [];
  for (const { arm } of profiledArms) {
    const path = join(dir, `${arm.name.replace(/\W+/g, '-')}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    await profiled(arm.served!.process, path, () => closedLoop(arm.operation, params.probeConcurrency, params.probeMs));
    summaries.push(summariseProfile(path));
    paths.push(path);
  }
  printProfiles(
    `Where the time goes: CPU profiles under the closed loop (${params.probeConcurrency} concurrent, ${params.probeMs / 1000} s; ${paths.join(', ')}), share of busy samples:`,
    summaries.map((summary, i) => ({ name: profiledArms[i]!.name, summary })),
    profiledArms.flatMap(({ detailed }, i) => (detailed ? [i] : [])),
  );
}
