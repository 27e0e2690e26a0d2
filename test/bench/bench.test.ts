// The benchmark's own pieces: the generated world must stay a valid mappings folder as
// the format evolves, the numbers it prints must be computed right, and the floor it compares
// the bridge with must really do a task's v3 calls.
import { buildSync } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CustomerRotation, legacyImmediateArm } from '../../bench/arms.js';
import { baselineSchedulerChild } from '../../bench/baseline.js';
import { collectedInstructions, dumpedInstructions, perChange, vgdbEnvironment, vgdbIdentity } from '../../bench/callgrind.js';
import { closedLoopOf } from '../../bench/load.js';
import { compiled, projectRoot } from '../../bench/paths.js';
import { startFloorProcess, startSimulatorProcess } from '../../bench/processes.js';
import { runDrainFloor } from '../../bench/scheduler-drain.js';
import { seedPendingChanges } from '../../bench/seed-store.js';
import { summariseProfile } from '../../bench/profile-summary.js';
import { npmStartNodeFlags, npmStartSettings, parseStartSettings, settingsWords } from '../../bench/start-flags.js';
import { perSecond, ratio, ratioAgainst, signedMs, verdictAgainst } from '../../bench/report.js';
import { Samples } from '../../bench/stats.js';
import { CpuMeter, usageOf } from '../../bench/usage.js';
import { createWorld, KEPT_ADDON, LOWER, UPPER } from '../../bench/world.js';
import { entries } from '../../harness/processes.js';
import { loadMappings } from '../../src/config/mappings.js';
import { SqliteStore } from '../../src/store/sqlite.js';

describe('bench world', () => {
  it('is a mappings folder the bridge and the simulator accept, every customer with its account', () => {
    const world = createWorld('test', 10);
    try {
      const mappings = loadMappings(world.mappings);
      expect(mappings.customers).toHaveLength(10);
      const accounts = new Map(mappings.simulatorSeed!.accounts.map((a) => [a.id, a]));
      for (const customer of mappings.customers) expect(accounts.has(customer.account_id)).toBe(true);
      expect(new Set(world.customers.map((c) => c.startsOn))).toEqual(new Set([LOWER, UPPER]));
    } finally {
      world.remove();
    }
  });
});

describe('CustomerRotation', () => {
  it('flips a customer only when its change succeeded, and never hands out a busy one', () => {
    const world = createWorld('rotation', 2);
    world.remove();
    const rotation = new CustomerRotation(world.customers);
    const first = rotation.take()!;
    const second = rotation.take()!;
    expect(rotation.take()).toBeUndefined();
    expect([first.from, first.to]).toEqual([LOWER, UPPER]);
    first.done(true);
    second.done(false);
    expect(rotation.take()!.from).toBe(UPPER);
    expect(rotation.take()!.from).toBe(second.from);
  });
});

describe('verdictAgainst', () => {
  const floors = [
    { name: 'floor', value: 1 },
    { name: 'floor with the promised writes', value: 2.37 },
    { name: 'promised writes on the stack', value: 3.03 },
  ];
  it.each([
    { value: 1.5, limit: 1.8, references: floors, shown: ratio, expected: 'met' },
    { value: 4.67, limit: 1.8, references: floors, shown: ratio, expected: 'NOT MET; missed too by: floor with the promised writes 2.37, promised writes on the stack 3.03' },
    { value: 1.29, limit: 1.2, references: [{ name: 'floor', value: 1 }, { name: 'promised writes on the stack', value: 1.21 }], shown: ratio, expected: 'NOT MET; missed too by: promised writes on the stack 1.21' },
    { value: 1.9, limit: 1.8, references: [{ name: 'floor', value: 1 }], shown: ratio, expected: 'NOT MET' },
    { value: 1.39, limit: 0.7, references: [{ name: 'floor', value: 0.49 }, { name: 'floor with the promised writes', value: 0.96 }], shown: signedMs, expected: 'NOT MET; missed too by: floor with the promised writes +0.96 ms' },
    // A reference that misses names nothing when the bridge meets the target.
    { value: 1.1, limit: 1.2, references: [{ name: 'promised writes on the stack', value: 1.24 }], shown: ratio, expected: 'met' },
  ])('$value against $limit: $expected', ({ value, limit, references, shown, expected }) => {
    expect(verdictAgainst(value, limit, references, shown)).toBe(expected);
  });

  it.each([
    { value: 1.2033, limit: 1.2, expected: '1.203' },
    { value: 1.1967, limit: 1.2, expected: '1.197' },
    { value: 1.2, limit: 1.2, expected: '1.20' },
    { value: 1.29, limit: 1.2, expected: '1.29' },
    { value: 4.67, limit: 1.8, expected: '4.67' },
  ])('a ratio shown against its limit: $value against $limit is $expected', ({ value, limit, expected }) => {
    expect(ratioAgainst(limit)(value)).toBe(expected);
  });

  it.each([
    { value: 885, references: [{ name: 'floor', value: 2002 }, { name: 'floor with the promised writes', value: 1519 }], expected: 'NOT MET; missed too by: floor with the promised writes 1519/s' },
    { value: 1805, references: [{ name: 'floor', value: 4443 }, { name: 'floor with the promised writes', value: 2547 }], expected: 'NOT MET' },
    { value: 2127, references: [{ name: 'floor with the promised writes', value: 1900 }], expected: 'met' },
    { value: 2000, references: [], expected: 'met' },
  ])('a lower bound: $value/s against 2000/s: $expected', ({ value, references, expected }) => {
    expect(verdictAgainst(value, 2000, references, perSecond, 'atLeast')).toBe(expected);
  });
});

describe('callgrind counts', () => {
  it.each([
    { output: '==4242== Events    : Ir\n==4242== Collected : 1942339319\n==4242==\n==4242== I   refs:      1,942,339,319\n', expected: 1942339319 },
    { output: 'Collected : 12\n', expected: 12 },
  ])('reads the total callgrind prints at the end', ({ output, expected }) => {
    expect(collectedInstructions(output)).toBe(expected);
  });

  it('refuses an output without the total', () => {
    expect(() => collectedInstructions('==1== valgrind: failed to start tool')).toThrow(/no instruction count/);
  });

  it.each([
    { small: { changes: 300, instructions: 3_040_631_835 }, large: { changes: 1300, instructions: 6_003_629_145 }, expected: 2_962_997.31 },
    { small: { changes: 10, instructions: 1_000 }, large: { changes: 20, instructions: 1_500 }, expected: 50 },
  ])('a change costs the larger run\'s surplus per extra change: $expected', ({ small, large, expected }) => {
    expect(perChange(small, large)).toBeCloseTo(expected, 2);
  });

  it('needs the larger run to have more changes', () => {
    expect(() => perChange({ changes: 10, instructions: 5 }, { changes: 10, instructions: 9 })).toThrow(RangeError);
  });

  it.each([
    { dump: '# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npid: 7301\ncmd:  node main.js\npart: 1\n\ndesc: Trigger: Client Request: dump\npositions: line\nevents: Ir\nsummary: 1281503311\n\n\nob=(1) /usr/lib/x86_64-linux-gnu/libc.so.6\n', expected: 1281503311 },
    { dump: 'events: Ir\nsummary: 7\ntotals: 7\n', expected: 7 },
  ])('reads the instructions of a dumped part from its summary line: $expected', ({ dump, expected }) => {
    expect(dumpedInstructions(dump)).toBe(expected);
  });

  it('refuses a dump without a summary', () => {
    expect(() => dumpedInstructions('# callgrind format\nevents: Ir\n')).toThrow(/no summary/);
  });

  it.each([
    { files: ['vgdb-from-vgdb-to-7-by-???-on-127.0.0.1', 'vgdb-shared-mem-vgdb-7-by-???-on-127.0.0.1'], pid: 7, expected: { user: '???', host: '127.0.0.1' } },
    { files: ['vgdb-shared-mem-vgdb-70-by-ops-on-???', 'vgdb-shared-mem-vgdb-7-by-root-on-box-on-rack'], pid: 7, expected: { user: 'root', host: 'box-on-rack' } },
  ])('names the user and host valgrind put in the pipes of process $pid', ({ files, pid, expected }) => {
    expect(vgdbIdentity(files, 'vgdb', pid)).toEqual(expected);
  });

  it('says so when the process has no vgdb pipes', () => {
    expect(() => vgdbIdentity(['vgdb-shared-mem-vgdb-70-by-x-on-y', 'callgrind.out'], 'vgdb', 7)).toThrow(/process 7/);
  });

  it.each([
    { base: { PATH: '/bin', USER: 'me', HOST: 'here' }, identity: { user: '???', host: '127.0.0.1' }, expected: { PATH: '/bin', HOST: '127.0.0.1' } },
    { base: { PATH: '/bin', LOGNAME: 'me' }, identity: { user: 'root', host: '???' }, expected: { PATH: '/bin', LOGNAME: 'root' } },
  ])('gives vgdb the user and host valgrind saw, unset where it saw none', ({ base, identity, expected }) => {
    expect(vgdbEnvironment(base, identity)).toEqual(expected);
  });
});

describe('closedLoopOf', () => {
  it.each([
    { concurrency: 4, tasks: 10 },
    { concurrency: 16, tasks: 3 },
  ])('sends exactly $tasks requests, at most $concurrency at a time', async ({ concurrency, tasks }) => {
    let started = 0;
    let inFlight = 0;
    let mostInFlight = 0;
    const samples = await closedLoopOf(async () => {
      const number = ++started;
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await Promise.resolve();
      inFlight--;
      return number % 2 === 0 ? true : 'HTTP 502';
    }, concurrency, tasks);
    expect(started).toBe(tasks);
    expect(mostInFlight).toBe(Math.min(concurrency, tasks));
    expect(samples.ok).toBe(Math.floor(tasks / 2));
  });
});

describe('Samples', () => {
  it('gives nearest-rank percentiles and throughput over the measured window', () => {
    const samples = new Samples();
    for (let i = 1; i <= 100; i++) samples.record(i, true, i <= 90);
    samples.record(500, 'HTTP 502', true);
    samples.windowMs = 2_000;
    expect(samples.percentile(50)).toBe(51);
    expect(samples.percentile(99)).toBe(100);
    expect(samples.percentile(100)).toBe(500);
    expect(samples.throughput).toBe(45);
    expect(samples.describeErrors()).toBe('1× HTTP 502');
  });
});

describe('profile summary', () => {
  it('counts a native frame for its nearest caller with a script, idle apart', () => {
    const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 3, 5, 7] },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('writeGeneric', 'node:internal/stream_base_commons'), children: [4] },
        { id: 4, callFrame: frame('writev') },
        { id: 5, callFrame: frame('recordImmediateChange', 'file:///x/dist/src/store/sqlite.js'), children: [6] },
        { id: 6, callFrame: frame('run') },
        { id: 7, callFrame: frame('request', 'file:///x/node_modules/undici/lib/api/api-request.js') },
      ],
      samples: [2, 2, 2, 2, 4, 4, 4, 6, 6, 7],
    };
    const dir = mkdtempSync(join(tmpdir(), 'profile-'));
    try {
      const path = join(dir, 'p.cpuprofile');
      writeFileSync(path, JSON.stringify(profile));
      const summary = summariseProfile(path);
      expect(summary).toMatchObject({ total: 10, idle: 4 });
      expect(Object.fromEntries(summary.shares.map((s) => [s.category, s.samples]))).toEqual({
        idle: 4,
        'HTTP I/O (node:http, net, streams)': 3,
        'store (SQLite/PostgreSQL, our code)': 2,
        'undici (v3 calls out)': 1,
      });
      expect(summary.topFunctions[0]).toEqual({ name: 'writev (native)', samples: 3 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('profile summary of the bundle', () => {
  it('counts a frame of a bundled script for the source its source map names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-bundle-'));
    try {
      const write = (path: string, text: string) => (mkdirSync(dirname(join(dir, path)), { recursive: true }), writeFileSync(join(dir, path), text));
      write('src/store/sqlite.js', 'export function recordImmediateChange(n) {\n  return n + 1;\n}\n');
      write('node_modules/zod/index.js', 'export function parse(value) {\n  return String(value);\n}\n');
      write('src/main.js', "import { recordImmediateChange } from './store/sqlite.js';\nimport { parse } from 'zod';\nconsole.log(parse(recordImmediateChange(1)));\n");
      buildSync({ absWorkingDir: dir, entryPoints: ['src/main.js'], outfile: join(dir, 'dist/bundle/main.js'), bundle: true, format: 'esm', sourcemap: 'linked', minifyWhitespace: true, logLevel: 'silent' });
      const bundled = readFileSync(join(dir, 'dist/bundle/main.js'), 'utf8');
      const url = pathToFileURL(join(dir, 'dist/bundle/main.js')).href;
      const at = (name: string) => {
        const lines = bundled.split('\n');
        const lineNumber = lines.findIndex((line) => line.includes(`function ${name}(`));
        return { functionName: name, url, lineNumber, columnNumber: lines[lineNumber]!.indexOf(`function ${name}(`) };
      };
      const profile = {
        nodes: [
          { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [2, 3] },
          { id: 2, callFrame: at('recordImmediateChange') },
          { id: 3, callFrame: at('parse') },
        ],
        samples: [2, 2, 2, 3],
      };
      const path = join(dir, 'p.cpuprofile');
      writeFileSync(path, JSON.stringify(profile));
      const summary = summariseProfile(path);
      expect(Object.fromEntries(summary.shares.map((s) => [s.category, s.samples]))).toEqual({ 'store (SQLite/PostgreSQL, our code)': 3, 'validation (zod)': 1 });
      expect(summary.topFunctions).toEqual([
        { name: 'recordImmediateChange (src/store/sqlite.js:1)', samples: 3 },
        { name: 'parse (zod/index.js:1)', samples: 1 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm start flags', () => {
  it('are the words between node and the entry of the start script, its variables those after env', () => {
    const start = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const { flags, env } = npmStartSettings();
    const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);
    expect(start).toBe(['exec', ...(assignments.length ? ['env', ...assignments] : []), 'node', ...flags, 'dist/bundle/main.js'].join(' '));
    expect(npmStartNodeFlags()).toEqual(flags);
  });

  it('words given to --node-flags: NAME=value are variables, the rest Node flags', () => {
    expect(parseStartSettings(['MALLOC_ARENA_MAX=2', '--max-semi-space-size=8', 'A_B=', '--expose-gc'])).toEqual({
      flags: ['--max-semi-space-size=8', '--expose-gc'],
      env: { MALLOC_ARENA_MAX: '2', A_B: '' },
    });
    expect(settingsWords({ flags: ['--x'], env: { A: '1' } })).toEqual(['A=1', '--x']);
  });
});

describe('a --baseline build', () => {
  it("is found from its entry, bundled or not: this build's own entries lead to this build's scheduler child", () => {
    for (const entry of [entries.bridge, 'dist/src/main.js']) expect(baselineSchedulerChild(join(projectRoot, entry))).toBe(compiled.schedulerChild);
  });
});

describe('floor forwarder and usage probe (compiled, own processes)', () => {
  it('changes a package with the three v3 calls and answers the legacy success; its CPU time is read over IPC', async () => {
    const world = createWorld('floor', 2);
    const simulator = await startSimulatorProcess(world.mappings);
    const floor = await startFloorProcess({ world: world.floorWorld, upstreamUrl: simulator.url }).catch(async (error: unknown) => {
      await simulator.stop();
      throw error;
    });
    try {
      const rotation = new CustomerRotation(world.customers);
      const arm = legacyImmediateArm('floor', floor.url, rotation);
      const meter = new CpuMeter(floor.process);
      const outcome = await meter.around(() => arm.operation(), () => 1);
      await arm.close();
      expect(outcome).toBe(true);
      const customer = world.customers[0]!;
      const account = (await (await fetch(`${simulator.url}/_simulator/accounts/${customer.accountId}`)).json()) as { offerings: { name: string; type: string }[] };
      expect(account.offerings).toEqual(expect.arrayContaining([expect.objectContaining({ name: UPPER.offering, type: 'package' }), expect.objectContaining({ name: KEPT_ADDON })]));
      expect(meter.perTask).toBeGreaterThan(0);
      expect((await usageOf(simulator.process)).cpuMicros).toBeGreaterThan(0);
    } finally {
      await floor.stop();
      await simulator.stop();
      world.remove();
    }
  });

  it.each([
    { name: 'floor with the promised writes', onStack: false },
    { name: 'promised writes on the stack', onStack: true },
  ])('$name keeps the promises: the intent applied and the change recorded in the bridge store', async ({ name, onStack }) => {
    const world = createWorld(`floor-store-${onStack}`, 2);
    const db = join(world.root, 'floor.db');
    const simulator = await startSimulatorProcess(world.mappings);
    const floor = await startFloorProcess({ world: world.floorWorld, upstreamUrl: simulator.url, store: db, onStack }).catch(async (error: unknown) => {
      await simulator.stop();
      throw error;
    });
    try {
      expect(floor.name).toBe(name);
      const arm = legacyImmediateArm(name, floor.url, new CustomerRotation(world.customers));
      expect(await arm.operation()).toBe(true);
      await arm.close();
      if (onStack) {
        // The stack's work happened: zod turns away a form it does not know, and each request left an access line.
        const refused = await fetch(`${floor.url}/apiv2/reseller.account.json`, { method: 'POST', body: new URLSearchParams({ task: 'immediate_upgrade', user: world.customers[1]!.username }) });
        expect(refused.status).toBe(502);
        expect(await refused.text()).toMatch(/ZodError|invalid/i);
        await floor.process.waitForOutput(/"status":502/); // logged once answered
        const lines = floor.process.stdout().split('\n').filter((line) => line.includes('"msg":"request"'));
        expect(lines.map((line) => (JSON.parse(line) as { status: number }).status)).toEqual([200, 502]);
      }
      await floor.stop();
      const store = SqliteStore.open(db);
      try {
        expect((await store.listIntents()).map((intent) => intent.status)).toEqual(['applied']);
        expect((await store.listAudit()).map((audit) => [audit.action, audit.outcome, audit.offeringsAfter?.[0]?.name])).toEqual([
          ['immediate_upgrade', 'applied', UPPER.offering],
        ]);
      } finally {
        await store.close();
      }
    } finally {
      await floor.stop();
      await simulator.stop();
      world.remove();
    }
  });
});

describe('floor of a scheduler pass (compiled, own process)', () => {
  const yesterday = () => new Date(Date.now() - 86_400_000);

  it.each([
    { promises: true, intents: ['applied', 'applied', 'applied'], audits: 3 },
    { promises: false, intents: [], audits: 0 },
  ])('applies every due change with the three v3 calls; with the promised writes: $promises', async ({ promises, intents, audits }) => {
    const world = createWorld(`drain-floor-${promises}`, 3);
    await seedPendingChanges(world.db, world.customers, yesterday);
    const simulator = await startSimulatorProcess(world.mappings);
    try {
      const result = await runDrainFloor(world, simulator.url, { changes: 3, options: { batchSize: 2, concurrency: 2 }, databaseUrl: '' }, promises);
      expect(result.pass.applied).toBe(3);
      for (const customer of world.customers) {
        const account = (await (await fetch(`${simulator.url}/_simulator/accounts/${customer.accountId}`)).json()) as { offerings: { name: string; type: string }[] };
        const target = customer.startsOn.offering === LOWER.offering ? UPPER : LOWER;
        expect(account.offerings.find((o) => o.type === 'package')?.name).toBe(target.offering);
      }
      const store = SqliteStore.open(world.db);
      try {
        expect((await store.listIntents()).map((intent) => intent.status)).toEqual(intents);
        expect((await store.listChanges({ statuses: ['applied'] })).length).toBe(result.appliedInStore);
        expect(result.appliedInStore).toBe(audits);
        const applied = (await store.listAudit()).filter((audit) => audit.actor === 'scheduler' && audit.outcome === 'applied');
        expect(applied).toHaveLength(audits);
      } finally {
        await store.close();
      }
    } finally {
      await simulator.stop();
      world.remove();
    }
  });
});

