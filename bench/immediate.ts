// Benchmark 1: a legacy immediate task through the bridge against the same v3 calls
// sent directly, both against one simulator in its own process.
import { closedLoop, openLoop } from './load.js';
import { CustomerRotation, directV3Arm, legacyImmediateArm, type Arm } from './arms.js';
import { startBridgeProcess, startSimulatorProcess } from './processes.js';
import { count, mib, ms, perSecond, say, section, signedMs, table, verdict } from './report.js';
import { Samples } from './stats.js';
import { createWorld } from './world.js';

export interface ImmediateParams {
  customers: number;
  /** Open-loop rate, requests per second, the same for both arms. */
  rate: number;
  warmupMs: number;
  /** Measured time per arm, split into `rounds` alternating slices. */
  durationMs: number;
  rounds: number;
  probeConcurrency: number;
  probeMs: number;
}

const TARGET_RATIO = 0.7;
const TARGET_ADDED_P50_MS = 1;
/** Share of the offered rate an arm must answer within the window to count as keeping up. */
const SUSTAINED = 0.95;

export async function benchImmediate(params: ImmediateParams): Promise<void> {
  section('1. Legacy immediate_upgrade/immediate_downgrade through the bridge vs the same v3 calls sent directly');
  say(
    `${count(params.customers)} customers alternating Basic/Silver, each request flips one (bridge: GET state + GET offerings + PUT offerings upstream; ` +
      'direct: the same three calls). Simulator, bridge and load generator are three processes; no v3 read is cached.',
  );
  say(
    `Open loop: ${params.rate} req/s per arm, ${params.warmupMs / 1000} s warm-up per arm, then ${params.durationMs / 1000} s measured per arm ` +
      `in ${params.rounds} alternating slices. Closed-loop probe: ${params.probeConcurrency} concurrent for ${params.probeMs / 1000} s per arm. ` +
      'Latency counts from the scheduled start of each request.',
  );

  const world = createWorld('immediate', params.customers);
  const simulator = await startSimulatorProcess(world.mappings);
  const bridge = await startBridgeProcess({ mappings: world.mappings, db: world.db, upstreamUrl: simulator.url }).catch(async (error: unknown) => {
    await simulator.stop();
    throw error;
  });
  const rotation = new CustomerRotation(world.customers);
  const viaBridge = legacyImmediateArm(bridge.url, rotation);
  const direct = directV3Arm(simulator.url, rotation);
  const arms = [viaBridge, direct];
  try {
    for (const arm of arms) await openLoop(arm.operation, params.rate, params.warmupMs);

    const open = new Map<Arm, Samples>(arms.map((arm) => [arm, new Samples()]));
    const slice = params.durationMs / params.rounds;
    for (let round = 0; round < params.rounds; round++) {
      // Alternate which arm goes first, so neither always runs on a machine the other just warmed.
      const order = round % 2 === 0 ? arms : [...arms].reverse();
      for (const arm of order) open.get(arm)!.merge(await openLoop(arm.operation, params.rate, slice));
    }
    const closed = new Map<Arm, Samples>();
    for (const arm of arms) closed.set(arm, await closedLoop(arm.operation, params.probeConcurrency, params.probeMs));
    const bridgePeak = bridge.peakRss();
    const simulatorPeak = simulator.peakRss();

    const row = (arm: Arm, s: Samples) => [arm.name, count(s.count), perSecond(s.throughput), ms(s.percentile(50)), ms(s.percentile(99)), ms(s.percentile(100)), count(s.errors)];
    const header = ['arm', 'requests', 'throughput', 'p50', 'p99', 'max', 'errors'];
    say(`\nOpen loop at ${params.rate} req/s:`);
    say(table(header, arms.map((arm) => row(arm, open.get(arm)!))));
    say(`\nClosed loop, ${params.probeConcurrency} concurrent (max throughput):`);
    say(table(header, arms.map((arm) => row(arm, closed.get(arm)!))));
    for (const arm of arms)
      if (open.get(arm)!.throughput < params.rate * SUSTAINED)
        say(`WARNING: ${arm.name} did not sustain ${params.rate} req/s: its open-loop latencies include queueing (try --rate lower)`);
    for (const [label, results] of [['open', open], ['closed', closed]] as const)
      for (const arm of arms) {
        const errors = results.get(arm)!.describeErrors();
        if (errors) say(`errors (${label} loop, ${arm.name}): ${errors}`);
      }

    const b = open.get(viaBridge)!;
    const d = open.get(direct)!;
    const openRatio = b.throughput / d.throughput;
    const closedRatio = closed.get(viaBridge)!.throughput / closed.get(direct)!.throughput;
    const addedP50 = b.percentile(50) - d.percentile(50);
    const addedP99 = b.percentile(99) - d.percentile(99);
    say('\nBridge against direct:');
    say(
      table(
        ['measure', 'value', 'target', ''],
        [
          [`throughput ratio, open loop at ${params.rate} req/s`, openRatio.toFixed(2), `>= ${TARGET_RATIO}`, verdict(openRatio >= TARGET_RATIO)],
          [`throughput ratio, closed loop (${params.probeConcurrency} concurrent)`, closedRatio.toFixed(2), `>= ${TARGET_RATIO}`, verdict(closedRatio >= TARGET_RATIO)],
          ['added p50 (open loop)', signedMs(addedP50), `<= ${TARGET_ADDED_P50_MS} ms`, verdict(addedP50 <= TARGET_ADDED_P50_MS)],
          ['added p99 (open loop)', signedMs(addedP99), '-', ''],
          ['bridge peak RSS (VmHWM)', mib(bridgePeak), '-', ''],
          ['simulator peak RSS (VmHWM)', mib(simulatorPeak), '-', ''],
        ],
      ),
    );
  } finally {
    for (const arm of arms) await arm.close();
    await bridge.stop();
    await simulator.stop();
    world.remove();
  }
}
