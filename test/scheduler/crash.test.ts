// Crash safety: the bridge, as its own process, is killed (SIGKILL) right after its k-th
// offerings PUT reached v3, while the simulator (its own process) keeps state and counters.
// Restarted on the same database, the bridge must finish every change exactly once in effect:
// nothing lost, nothing stuck in `applying`, nothing applied twice.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { PendingChange } from '../../src/store/store.js';
import { generatedChanges, writeCrashMappings, writeDueChanges, type GeneratedChange } from './crash-world.js';
import { entries, startNode, startSimulatorProcess, type NodeProcess, type StartedSimulator } from '../../harness/processes.js';
import { simulatorAdmin } from './processes.js';
import { ALL_STATUSES } from './support.js';

const CHANGES = generatedChanges(30);
const LEASE_MS = 1_500;
/** Writes held at once, from the k-th on: more than the bridge ever has in flight. */
const HOLD = 1_000;
const KEYS = { SENDGRID_API_KEY: 'SG.demo-reseller-key', SECOND_RESELLER_API_KEY: 'SG.demo-second-reseller-key' };

let root: string;
let mappings: string;
let simulator: StartedSimulator;
let sim: ReturnType<typeof simulatorAdmin>;
const bridges: NodeProcess[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'bridge-crash-'));
  mappings = join(root, 'mappings');
  mkdirSync(mappings);
  writeCrashMappings(mappings, CHANGES);
  simulator = await startSimulatorProcess({ LOG_LEVEL: 'warn', BRIDGE_MAPPINGS: mappings, SIMULATOR_STATE: join(root, 'simulator-state.json') });
  sim = simulatorAdmin(simulator.url);
});

afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.kill();
});

afterAll(async () => {
  if (simulator) await simulator.process.kill();
  rmSync(root, { recursive: true, force: true });
});

function startBridgeProcess(db: string): NodeProcess {
  const bridge = startNode(entries.bridge, {
    name: 'bridge',
    env: {
      PORT: '0',
      ADMIN_PORT: '0',
      HOST: '127.0.0.1',
      SENDGRID_API_URL: simulator.url,
      ...KEYS,
      BRIDGE_DB: db,
      BRIDGE_MAPPINGS: mappings,
      BRIDGE_SCHEDULER: 'on',
      BRIDGE_SCHEDULER_INTERVAL_MS: '200',
      BRIDGE_SCHEDULER_JITTER_MS: '0',
      BRIDGE_SCHEDULER_LEASE_MS: String(LEASE_MS),
      SENDGRID_RATE_LIMIT: '1000',
      LOG_LEVEL: 'info',
    },
  });
  bridges.push(bridge);
  return bridge;
}

async function readChanges(db: string): Promise<{ changes: Map<string, PendingChange>; store: SqliteStore }> {
  const store = SqliteStore.open(db);
  const changes = new Map((await store.listChanges({ statuses: ALL_STATUSES })).map((c) => [c.username, c]));
  return { changes, store };
}

/** Bounded poll of the simulator's fault settings until the k-th offerings PUT was applied (and held). */
async function waitForHeldWrite(bridge: NodeProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { lateWrite } = await sim.faults();
    if (lateWrite === null || lateWrite.count < HOLD) return;
    if (!bridge.running || Date.now() > deadline)
      throw new Error(`the bridge never sent its k-th PUT:\n${bridge.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Every offerings PUT the simulator has received is applied (with only lateWrite set, each is),
 * seen twice in a row: the second look is a fresh request, behind any the dead bridge had sent.
 */
async function waitUntilEveryPutLanded(): Promise<void> {
  const deadline = Date.now() + 10_000;
  const landed = async () => {
    const { requests } = await sim.requests();
    const received = requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/offerings')).length;
    let applied = 0;
    for (const c of CHANGES) applied += (await sim.writes(c.accountId)).offerings;
    return received === applied;
  };
  for (let inARow = 0; inARow < 2; ) {
    inARow = (await landed()) ? inARow + 1 : 0;
    if (Date.now() > deadline) throw new Error('a PUT the simulator received was never applied');
  }
}

/** Both resellers' `reseller.pending list` is empty: nothing pending, applying or failed. */
async function waitUntilNothingListed(bridge: NodeProcess): Promise<void> {
  const url = await bridge.waitForLoggedUrl('bridge listening');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lists = await Promise.all(
      Object.values(KEYS).map(async (key) => {
        const res = await fetch(`${url}/apiv2/reseller.pending.json?task=list`, { headers: { authorization: `Bearer ${key}` } });
        return (await res.json()) as unknown[];
      }),
    );
    if (lists.every((l) => l.length === 0)) return;
    if (Date.now() > deadline) throw new Error(`changes still listed: ${JSON.stringify(lists)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const offeringsOf = async (change: GeneratedChange) =>
  (await sim.account(change.accountId)).offerings.map((o) => `${o.name}:${o.quantity ?? 1}`).sort();

describe('a bridge killed right after its k-th offerings PUT', () => {
  // Each k once: the inputs are identical from run to run, so a second trial of a k repeats the first.
  it.each([1, 5, 13])('k = %i: restarted, every change is applied exactly once', async (k) => {
    const dir = join(root, `k${k}`);
    mkdirSync(dir);
    const db = join(dir, 'bridge.db');
    await sim.reset();
    const ids = await writeDueChanges(db, mappings, CHANGES);

    // The k-th offerings PUT (and every later one) is applied upstream but its answer held back.
    await sim.setFaults({ lateWrite: { skip: k - 1, count: HOLD, delayMs: 30_000 } });
    const first = startBridgeProcess(db);
    await waitForHeldWrite(first);
    await first.kill();
    await sim.clearFaults();
    // A PUT already received when the bridge died is still applied by the simulator: let it land.
    await waitUntilEveryPutLanded();

    // What the crash left behind.
    const atCrash = await readChanges(db);
    await atCrash.store.close();
    const writesAtCrash = new Map<string, number>();
    for (const c of CHANGES) writesAtCrash.set(c.username, (await sim.writes(c.accountId)).offerings);
    const inFlight = CHANGES.filter((c) => atCrash.changes.get(c.username)!.status === 'applying');
    expect([...writesAtCrash.values()].reduce((a, b) => a + b)).toBeGreaterThanOrEqual(k);
    expect(inFlight.length).toBeGreaterThanOrEqual(1); // at least the k-th, whose answer never came
    expect(CHANGES.filter((c) => atCrash.changes.get(c.username)!.status === 'applied').length).toBeLessThan(k);

    // Restart on the same database; it finishes the work once the dead process's leases expire.
    const second = startBridgeProcess(db);
    await waitUntilNothingListed(second);
    expect((await second.stop('SIGTERM')).code).toBe(0);

    const { changes, store } = await readChanges(db);
    try {
      expect(changes.size).toBe(CHANGES.length);
      for (const c of CHANGES) {
        const change = changes.get(c.username)!;
        const before = atCrash.changes.get(c.username)!;
        const label = `${c.username} (${before.status} at the crash, ${writesAtCrash.get(c.username)} write(s))`;
        expect(change.id, label).toBe(ids.get(c.username));
        expect(change, label).toMatchObject({ status: 'applied', leaseOwner: null, leaseExpiresAt: null });
        expect(await offeringsOf(c), label).toEqual(c.expectedOfferings);
        expect((await store.findCustomer({ reseller: c.reseller, username: c.username }))!.ipGroups, label).toEqual(c.ipGroups);

        // Exactly one transition to `applied` in the audit log.
        const audit = (await store.listAudit({ changeId: change.id })).filter((a) => a.actor === 'scheduler');
        const applied = audit.filter((a) => a.outcome === 'applied' || a.outcome === 'noop');
        expect(applied, label).toHaveLength(1);

        const writes = (await sim.writes(c.accountId)).offerings;
        if (before.status === 'applying') {
          // Re-claimed only after the dead owner's lease ran out; the lost attempt is counted.
          expect(writes, label).toBeLessThanOrEqual(2);
          expect(writes, label).toBeGreaterThanOrEqual(1);
          expect(change.attempts, label).toBe(2);
          expect(change.lastError, label).toMatch(/^lease of .+ expired at /);
          expect(Date.parse(applied[0]!.at), label).toBeGreaterThanOrEqual(Date.parse(before.leaseExpiresAt!));
          // A PUT that landed before the crash is found in place: no second write.
          expect(applied[0]!.outcome, label).toBe(writesAtCrash.get(c.username) === 1 ? 'noop' : 'applied');
        } else {
          expect(writes, label).toBe(1);
          expect(change.attempts, label).toBe(1);
          expect(applied[0]!.outcome, label).toBe('applied');
        }
      }
    } finally {
      await store.close();
    }
  });
});
