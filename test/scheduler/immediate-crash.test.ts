// Issue 9's reproducer 3: an immediate change is not reverted by an older scheduled one when the
// bridge dies between v3 applying its PUT and the bridge recording it. The bridge and the
// simulator run as processes; the bridge is SIGKILLed the moment the simulator has applied the
// PUT (its answer held back). Restarted, the bridge settles the write by reading v3 back, which
// supersedes the older downgrade; `run-scheduler` then has nothing to apply. Both stores.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { entries, runNode, startNode, startSimulatorProcess, waitUntil, type NodeProcess, type StartedSimulator } from '../../harness/processes.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { AUTH, DEMO, demoMappings } from '../helpers/bridge.js';
import { simulatorAdmin } from './processes.js';

const KEYS = { SENDGRID_API_KEY: 'SG.demo-reseller-key', SECOND_RESELLER_API_KEY: 'SG.demo-second-reseller-key' };
const GRACE_MS = 1_000;
const PG_SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const USER4 = DEMO.accounts.user4;

let root: string;
let simulator: StartedSimulator;
let sim: ReturnType<typeof simulatorAdmin>;
const started: NodeProcess[] = [];
const schemas: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'bridge-immediate-crash-'));
  simulator = await startSimulatorProcess({ LOG_LEVEL: 'warn', BRIDGE_MAPPINGS: demoMappings, SIMULATOR_STATE: join(root, 'simulator-state.json') });
  sim = simulatorAdmin(simulator.url);
});

afterEach(async () => {
  for (const process of started.splice(0)) await process.kill();
});

afterAll(async () => {
  if (simulator) await simulator.process.kill();
  rmSync(root, { recursive: true, force: true });
  if (schemas.length) {
    const admin = new pg.Client({ connectionString: PG_SERVER });
    await admin.connect();
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
});

const STORES = [
  { name: 'sqlite', db: (dir: string) => ({ BRIDGE_DB: join(dir, 'bridge.db') }) },
  {
    name: 'postgres',
    db: () => {
      const schema = `bridge_crash_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      const url = new URL(PG_SERVER);
      url.searchParams.set('schema', schema);
      return { DATABASE_URL: url.toString() };
    },
  },
] as const;

describe.each(STORES)('$name: a bridge killed after v3 applied an immediate upgrade', ({ name, db }) => {
  it('restarted, settles the upgrade as applied and the older downgrade is never applied', async () => {
    await sim.reset();
    const dir = mkdtempSync(join(root, `${name}-`));
    const env: Record<string, string> = {
      HOST: '127.0.0.1',
      PORT: '0',
      ADMIN_PORT: '0',
      SENDGRID_API_URL: simulator.url,
      ...KEYS,
      ...db(dir),
      BRIDGE_MAPPINGS: demoMappings,
      BRIDGE_SCHEDULER: 'off',
      BRIDGE_WRITE_GRACE_MS: String(GRACE_MS),
      SENDGRID_RATE_LIMIT: '1000',
      LOG_LEVEL: 'info',
    };
    const startBridge = async (extra: Record<string, string> = {}) => {
      const bridge = startNode(entries.bridge, { name: 'bridge', env: { ...env, ...extra } });
      started.push(bridge);
      return { bridge, url: await bridge.waitForLoggedUrl('bridge listening') };
    };
    const legacy = (url: string, form: string) =>
      fetch(`${url}/apiv2/reseller.account.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `${AUTH}&${form}`,
      });

    const first = await startBridge();
    expect(await (await legacy(first.url, 'task=scheduled_downgrade&user=user4&package=Basic Package')).text()).toBe('{"message":"success"}');
    // The upgrade's PUT is applied by v3, its answer held back; the bridge dies right then.
    await sim.setFaults({ lateWrite: { count: 1, delayMs: 60_000 } });
    const upgrade = legacy(first.url, 'task=immediate_upgrade&user=user4&package=Gold Package&ip[]=255.255.255.0').catch(() => undefined);
    await waitUntil('v3 applied the PUT', async () => (await sim.writes(USER4)).offerings >= 1);
    await first.bridge.kill();
    await upgrade;
    await sim.clearFaults();
    const gold = (await sim.account(USER4)).offerings.map((o) => o.name);
    expect(gold).toContain('org.ei.gold.v1');

    const store: Store = await openStore({ sqlitePath: env.BRIDGE_DB, databaseUrl: env.DATABASE_URL });
    try {
      const user4 = (await store.findCustomer({ reseller: DEMO.apiUser, username: 'user4' }))!;
      // What the crash left: the downgrade still listed (and, unseen by the client, the write's intent).
      expect((await store.listPending(DEMO.apiUser, { username: 'user4' })).map((c) => c.type)).toEqual(['downgrade']);

      // Restarted with its scheduler: the dead process's write starts its grace period at start-up,
      // and a pass after it settles the write by reading v3 back, superseding the downgrade.
      const second = await startBridge({ BRIDGE_SCHEDULER: 'on', BRIDGE_SCHEDULER_INTERVAL_MS: '100', BRIDGE_SCHEDULER_JITTER_MS: '0' });
      await waitUntil('the restarted bridge superseded the downgrade', async () => (await store.listPending(DEMO.apiUser, { username: 'user4' })).length === 0);
      // The operator's pass (as in the issue): it settles the write first, then has nothing to apply.
      const pass = await runNode(entries.cli, { name: 'bridge CLI', args: ['run-scheduler', '--now', '2099-01-01', '--json'], env });
      expect(pass.code, pass.stderr).toBe(0);
      expect(JSON.parse(pass.stdout)).toMatchObject({ applied: 0 });
      expect((await second.bridge.stop('SIGTERM')).code).toBe(0);

      expect((await sim.account(USER4)).offerings.map((o) => o.name)).toContain('org.ei.gold.v1');
      expect((await sim.writes(USER4)).offerings).toBe(1);
      expect(await store.listPending(DEMO.apiUser, { username: 'user4' })).toEqual([]);
      expect((await store.listIntents({ customerId: user4.id })).map((i) => i.status)).toEqual(['applied']);
      const audit = await store.listAudit({ customerId: user4.id });
      expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual([
        'scheduled_downgrade:scheduled',
        'immediate_upgrade:uncertain', // taken up at the restart: its writer had died
        'immediate_upgrade:superseded',
        'immediate_upgrade:applied',
      ]);
      expect(audit.at(-1)!.detail).toMatch(/confirmed by read-back/);
      const recorded = audit.filter((a) => a.offeringsAfter).at(-1)!.offeringsAfter!.map((o) => o.name).sort();
      expect(recorded).toEqual((await sim.account(USER4)).offerings.map((o) => o.name).sort());
      expect((await store.findCustomer({ id: user4.id }))!.ips).toEqual(['255.255.255.0']);
    } finally {
      await store.close();
    }
  });
});
