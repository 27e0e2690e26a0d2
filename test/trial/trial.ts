// One run of the randomized crash trial: a bridge process (restarted after each SIGKILL) and a
// v3 simulator process, a seeded mixed load of immediate, directory, scheduled and delete
// tasks with writes answered late, SIGKILL at a moment chosen by the seed (the k-th offerings
// PUT the simulator received, or the j-th answer of the load: events, never a delay), then a
// restart, settlement, scheduler passes at 2099 (every scheduled change is due), and the
// invariants of ./invariants.ts over what the run left behind.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { entries, runNode, startNode, waitUntil, type NodeProcess, type StartedSimulator } from '../../harness/processes.js';
import type { RecordedRequest } from '../../src/simulator/request-log.js';
import type { ChangeStatus, Store } from '../../src/store/store.js';

interface Offering {
  name: string;
  quantity?: number | undefined;
}
import { simulatorAdmin } from '../scheduler/processes.js';
import { checkInvariants, type Answer, type Observed, type AuditRow, type ChangeRow, type Kind, type ReceivedPut, type SentRequest, type Violation } from './invariants.js';
import { Prng } from './prng.js';
import {
  DIRECTORY_PACKAGES,
  DIRECTORY_TOKEN,
  GOLD_IPS,
  KEY_ENV,
  KEYS,
  PACKAGES,
  TRIAL_CUSTOMERS,
  openTarget,
  seedStore,
  storeEnv,
  type PackageName,
  type StoreTarget,
  type TrialCustomer,
} from './world.js';

export const POSTGRES_SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ALL_STATUSES: ChangeStatus[] = ['pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed'];
const LEASE_MS = 1_500;
/** How long an uncertain write is left before it is read back; above the longest PUT latency the trial sets. */
export const GRACE_MS = 1_500;
/** Held writes from the k-th on: more than the bridge ever has in flight. */
const HOLD = 1_000;
const HELD_MS = 60_000;
/** The attempts of one write the v3 client makes before the request's deadline. */
const UNCERTAIN_HOLDS = 3;
const SETTLE_TIMEOUT_MS = 30_000;

export interface RunOptions {
  store: 'sqlite' | 'postgres';
  seed: number;
  kills: number;
  /** A folder of this run's own (the SQLite file). */
  dir: string;
  mappings: string;
  simulator: StartedSimulator;
  /** Every n-th cycle makes the client hear "may have been applied" before the kill (about 20 s each); 0: none. */
  uncertainEvery?: number;
}

export interface RunReport {
  store: 'sqlite' | 'postgres';
  seed: number;
  kills: number;
  triggers: Record<string, number>;
  requests: number;
  /** Requests that repeat an earlier one as it was. */
  retries: number;
  answers: Record<Answer, number>;
  kinds: Record<Kind, number>;
  puts: number;
  changes: number;
  auditRecords: number;
  /** Write intents by final status. */
  intents: Record<string, number>;
  violations: Violation[];
  wallMs: number;
}

interface Planned {
  kind: Kind;
  task: string;
  customer: TrialCustomer;
  targetPackage?: PackageName;
  ips?: string[];
  retry?: boolean;
}

const PACKAGE_NAMES = Object.keys(PACKAGES) as PackageName[];
const rank = (p: PackageName) => PACKAGES[p].rank;

/**
 * A cycle's requests, drawn from the seed alone (not from answers, which vary with timing),
 * against a model where every earlier request succeeded.
 */
function planLoad(prng: Prng, believed: Map<string, PackageName>, count: number): Planned[] {
  const plan: Planned[] = [];
  for (let i = 0; i < count; i++) {
    // A client retrying an earlier request as it was (after an uncertain answer, or none).
    if (plan.length > 0 && prng.chance(0.15)) {
      const again = prng.pick(plan);
      if (again.kind !== 'scheduled' && again.kind !== 'delete' && again.targetPackage) believed.set(again.customer.username, again.targetPackage);
      plan.push({ ...again, retry: true });
      continue;
    }
    const customer = prng.pick(TRIAL_CUSTOMERS);
    const current = believed.get(customer.username)!;
    let kind = prng.weighted<Kind>({ immediate: 4, directory: 2, scheduled: 3, delete: 1 });
    if (kind === 'directory' && !customer.businessUid) kind = 'immediate';
    if (kind === 'delete') {
      plan.push({ kind, task: 'delete', customer });
      continue;
    }
    if (kind === 'directory') {
      const name = prng.pick(Object.keys(DIRECTORY_PACKAGES));
      believed.set(customer.username, DIRECTORY_PACKAGES[name]!);
      plan.push({ kind, task: name, customer, targetPackage: DIRECTORY_PACKAGES[name]! });
      continue;
    }
    const choices = PACKAGE_NAMES.filter((p) => p !== current && (p !== 'Gold Package' || prng.chance(0.3)));
    const target = prng.pick(choices);
    const verb = target === 'Free Package' ? 'close' : rank(target) > rank(current) ? 'upgrade' : 'downgrade';
    const prefix = kind === 'immediate' ? 'immediate' : 'scheduled';
    const ips = target === 'Gold Package' ? [prng.pick(GOLD_IPS[customer.reseller]!)] : undefined;
    if (kind === 'immediate') believed.set(customer.username, target);
    plan.push({ kind, task: `${prefix}_${verb}`, customer, targetPackage: target, ...(ips ? { ips } : {}) });
  }
  return plan;
}

function requestOf(url: string, p: Planned): { url: string; init: RequestInit } {
  if (p.kind === 'directory')
    return {
      url: `${url}/v1/partners/accounts/${p.customer.businessUid}/change_package?package_name=${p.task}`,
      init: { headers: { authorization: `Token token="${DIRECTORY_TOKEN}"` } },
    };
  const form = new URLSearchParams({ task: p.task, user: p.customer.username });
  if (p.targetPackage && !p.task.endsWith('_close')) form.set('package', p.targetPackage);
  for (const ip of p.ips ?? []) form.append('ip[]', ip);
  const call = p.kind === 'delete' ? 'reseller.pending' : 'reseller.account';
  return {
    url: `${url}/apiv2/${call}.json`,
    init: { method: 'POST', body: form.toString(), headers: { authorization: `Bearer ${KEYS[p.customer.reseller]}`, 'content-type': 'application/x-www-form-urlencoded' } },
  };
}

/** `uncertain`: the answer says this request's own write may have landed. */
function classify(p: Planned, status: number, body: string): Answer {
  const success = p.kind === 'directory' ? status === 200 && body.includes('"business_id"') : status === 200 && body === '{"message":"success"}';
  if (success) return 'success';
  return /may still take effect|may have been applied/i.test(body) && !/sent nothing/i.test(body) ? 'uncertain' : 'error';
}

/** Sends `plan` `concurrency` at a time; stops dispatching once `stopped()`; every request ends (answered or cut). */
async function driveLoad(
  url: string,
  plan: Planned[],
  options: { concurrency: number; first: number; idPrefix: string },
  stopped: () => boolean,
  onAnswer: (answered: SentRequest) => void,
): Promise<SentRequest[]> {
  const { concurrency, first, idPrefix } = options;
  const sent: SentRequest[] = [];
  let next = 0;
  const worker = async () => {
    while (next < plan.length && !stopped()) {
      const index = next++;
      const p = plan[index]!;
      const { url: target, init } = requestOf(url, p);
      const record: SentRequest = {
        n: first + index,
        requestId: `${idPrefix}-${first + index}`,
        kind: p.kind,
        task: p.task,
        username: p.customer.username,
        ...(p.targetPackage ? { targetPackage: p.targetPackage, targetOffering: PACKAGES[p.targetPackage].offering } : {}),
        ...(p.retry ? { retry: true } : {}),
        sentAt: Date.now(),
        endedAt: 0,
        answer: 'none',
      };
      sent.push(record);
      try {
        const res = await fetch(target, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-request-id': record.requestId }, signal: AbortSignal.timeout(45_000) });
        const body = await res.text();
        Object.assign(record, { status: res.status, body, answer: classify(p, res.status, body) });
      } catch {
        record.answer = 'none'; // the bridge died with the request in flight
      }
      record.endedAt = Date.now();
      onAnswer(record);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sent.sort((a, b) => a.n - b.n);
}

const normalise = (offerings: readonly Offering[]) => offerings.map((o) => `${o.name}:${o.quantity ?? 1}`).sort();

export async function runTrial(options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const prng = new Prng(options.seed);
  const sim = trialAdmin(options.simulator.url);
  const schema = `trial_${process.pid}_${options.seed}_${Math.floor(Math.random() * 1e6)}`;
  mkdirSync(options.dir, { recursive: true });
  const target: StoreTarget =
    options.store === 'sqlite' ? { kind: 'sqlite', path: join(options.dir, 'bridge.db') } : { kind: 'postgres', url: withSchema(POSTGRES_SERVER, schema) };
  const env = {
    PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    SENDGRID_API_URL: options.simulator.url,
    ...KEY_ENV,
    ...storeEnv(target),
    BRIDGE_MAPPINGS: options.mappings,
    BRIDGE_SCHEDULER: 'on',
    BRIDGE_SCHEDULER_INTERVAL_MS: '200',
    BRIDGE_SCHEDULER_JITTER_MS: '0',
    BRIDGE_SCHEDULER_LEASE_MS: String(LEASE_MS),
    BRIDGE_WRITE_GRACE_MS: String(GRACE_MS),
    BRIDGE_SHUTDOWN_TIMEOUT_MS: '5000',
    SENDGRID_RATE_LIMIT: '1000',
    LOG_LEVEL: 'info',
  };
  const startBridge = async (): Promise<{ bridge: NodeProcess; url: string }> => {
    const bridge = startNode(entries.bridge, { name: `bridge (${options.store}, seed ${options.seed})`, env, keepOutput: 20_000 });
    const url = await bridge.waitForLoggedUrl('bridge listening');
    // Logged last in start-up, just before the signal handlers are installed.
    await bridge.waitForLoggedUrl('admin listening');
    return { bridge, url };
  };

  await sim.reset();
  const seedAccounts = new Map((await sim.accountsList()).map((a) => [a.id, normalise(a.offerings)]));
  await seedStore(target, options.mappings);
  const believed = new Map(
    TRIAL_CUSTOMERS.map((c) => [c.username, (Object.entries(PACKAGES).find(([, p]) => seedAccounts.get(c.accountId)!.some((o) => o.startsWith(`${p.offering}:`)))?.[0] ?? 'Free Package') as PackageName]),
  );

  const sent: SentRequest[] = [];
  const triggers: Record<string, number> = {};
  const violations: Violation[] = [];
  let kills = 0;
  let counts: Pick<RunReport, 'puts' | 'changes' | 'auditRecords' | 'intents'> = { puts: 0, changes: 0, auditRecords: 0, intents: {} };
  let live: NodeProcess | undefined;
  try {
    for (let cycle = 0; cycle < options.kills; cycle++) {
      const { bridge, url } = await startBridge();
      live = bridge;
      const uncertain = options.uncertainEvery ? cycle % options.uncertainEvery === options.uncertainEvery - 1 : false;
      const cut = await killCycle({ prng, believed, sim, bridge, url, uncertain, first: sent.length, idPrefix: `trial-${options.store}-${options.seed}` });
      kills++;
      triggers[cut.fired] = (triggers[cut.fired] ?? 0) + 1;
      sent.push(...cut.sent);
    }

    // The last restart: it settles what the dead processes left, and its scheduler finishes the due changes.
    const { bridge } = await startBridge();
    live = bridge;
    const store = await openTarget(target);
    try {
      await waitUntil(
        'nothing applying and no unsettled intent',
        async () => (await store.listChanges({ statuses: ['applying'] })).length === 0 && (await unsettledIntents(store)).length === 0,
        { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 50, process: bridge },
      ).catch((error: Error) => violations.push({ invariant: 'stuck', username: '', detail: error.message.split('\n')[0]! }));
    } finally {
      await store.close();
    }
    const exit = await bridge.stop('SIGTERM');
    live = undefined;
    if (exit.code !== 0) violations.push({ invariant: 'stuck', username: '', detail: `the last bridge exited ${exit.signal ?? exit.code} on SIGTERM` });

    // Every scheduled change is due in 2099; passes until one claims nothing.
    for (let pass = 0; pass < 5; pass++) {
      const run = await runNode(entries.cli, { name: 'run-scheduler', env, args: ['run-scheduler', '--now', '2099-01-01', '--json'] });
      if (run.code !== 0) {
        violations.push({ invariant: 'stuck', username: '', detail: `run-scheduler exited ${run.code}: ${run.output.slice(-500)}` });
        break;
      }
      if ((JSON.parse(run.stdout) as { claimed: number }).claimed === 0) break;
    }

    const seen = await observe(target, sim, sent, seedAccounts);
    counts = seen.counts;
    violations.push(...checkInvariants(seen.observed));
  } finally {
    if (live) await live.kill();
    if (target.kind === 'postgres') await dropSchema(schema);
  }

  const answers: Record<Answer, number> = { success: 0, error: 0, uncertain: 0, none: 0 };
  const kinds: Record<Kind, number> = { immediate: 0, directory: 0, scheduled: 0, delete: 0 };
  for (const r of sent) {
    answers[r.answer]++;
    kinds[r.kind]++;
  }
  return { store: options.store, seed: options.seed, kills, triggers, requests: sent.length, retries: sent.filter((r) => r.retry).length, answers, kinds, ...counts, violations, wallMs: Date.now() - started };
}

interface Cycle {
  prng: Prng;
  believed: Map<string, PackageName>;
  sim: ReturnType<typeof trialAdmin>;
  bridge: NodeProcess;
  url: string;
  /** This cycle ends with an answer "may have been applied" to the client, then the kill. */
  uncertain: boolean;
  first: number;
  idPrefix: string;
}

/** One load against a running bridge, faults set, and the SIGKILL when the seed's event happens; the faults are cleared after. */
async function killCycle({ prng, believed, sim, bridge, url, uncertain, first, idPrefix }: Cycle): Promise<{ fired: string; sent: SentRequest[] }> {
  const plan = planLoad(prng, believed, prng.int(5, 12));
  const drawn = prng.int(2, 4);
  // One request at a time while reads fail on purpose: no other request turns them into its own refusals.
  const concurrency = uncertain ? 1 : drawn;
  const trigger = prng.chance(0.5) ? 'put' : 'answer';
  const k = prng.int(1, 3);
  const j = prng.int(1, plan.length);
  const latency = prng.chance(0.5) ? prng.int(20, 300) : 0;
  const late = { skip: prng.int(0, 3), count: prng.int(1, 4), delayMs: prng.int(300, 2_500) };
  await sim.setFaults({
    latencyByOperation: latency ? { UpdateAccountOffering: latency } : {},
    // `uncertain`: the first PUT (and its retry) applied and held past the request's 20 s deadline.
    lateWrite: uncertain ? { skip: 0, count: UNCERTAIN_HOLDS, delayMs: HELD_MS } : trigger === 'put' ? { skip: k - 1, count: HOLD, delayMs: HELD_MS } : late,
  });

  let killed = false;
  let answers = 0;
  let reachedJ: () => void = () => undefined;
  const jth = new Promise<void>((resolve) => (reachedJ = resolve));
  let heardUncertain: () => void = () => undefined;
  const toldUncertain = new Promise<void>((resolve) => (heardUncertain = resolve));
  const load = driveLoad(url, plan, { concurrency, first, idPrefix }, () => killed, (answered) => {
    if (++answers >= j) reachedJ();
    if (answered.answer === 'uncertain') heardUncertain();
  });
  let loadEnded = false;
  void load.then(() => (loadEnded = true));
  /** Until no more than `left` of the writes the simulator was told to hold remain to be taken (or the load ended first). */
  const held = (what: string, left: number) =>
    waitUntil(what, async () => loadEnded || ((await sim.faults()).lateWrite?.count ?? 0) <= left, { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 2, process: bridge });
  if (uncertain) {
    // The first PUT is held: its read-back must fail too, so the outcome stays unknown, and the client is told so.
    await held('the first offerings PUT', UNCERTAIN_HOLDS - 1);
    await sim.setFaults({ failNext: { count: 1_000, status: 503, operation: 'ListAccountOffering' } });
    await Promise.race([toldUncertain, load]);
  } else if (trigger === 'put') {
    // The k-th offerings PUT since the faults were set was applied and its answer is held.
    await held(`the ${k}th offerings PUT`, HOLD - 1);
  } else {
    await Promise.race([jth, load]);
  }
  const fired = loadEnded ? 'load-end' : uncertain ? 'uncertain' : trigger;
  killed = true;
  await bridge.kill();
  const sent = await load;
  await sim.clearFaults();
  return { fired, sent };
}

/** The simulator's admin routes, with its accounts and its request log. */
function trialAdmin(url: string) {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}/_simulator/${path}`);
    if (!res.ok) throw new Error(`GET /_simulator/${path}: ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    ...simulatorAdmin(url),
    accountsList: async () => (await get<{ accounts: { id: string; offerings: Offering[] }[] }>('accounts')).accounts,
    requests: async () => (await get<{ requests: RecordedRequest[] }>('requests')).requests,
  };
}

async function observe(target: StoreTarget, sim: ReturnType<typeof trialAdmin>, sent: SentRequest[], seedAccounts: Map<string, string[]>) {
  const store = await openTarget(target);
  try {
    const usernameOf = new Map<number, string>();
    for (const c of TRIAL_CUSTOMERS) usernameOf.set((await store.findCustomer({ reseller: c.reseller, username: c.username }))!.id, c.username);
    const changes: ChangeRow[] = (await store.listChanges({ statuses: ALL_STATUSES })).map((c) => ({
      id: c.id,
      username: usernameOf.get(c.customerId) ?? `customer ${c.customerId}`,
      targetPackage: c.targetPackage,
      status: c.status,
      createdAt: Date.parse(c.createdAt),
    }));
    const audit: AuditRow[] = (await store.listAudit()).map((a) => ({
      id: a.id,
      at: Date.parse(a.at),
      actor: a.actor,
      action: a.action,
      username: usernameOf.get(a.customerId) ?? `customer ${a.customerId}`,
      changeId: a.changeId,
      outcome: a.outcome,
      before: a.offeringsBefore && normalise(a.offeringsBefore),
      after: a.offeringsAfter && normalise(a.offeringsAfter),
    }));
    const accounts = new Map((await sim.accountsList()).map((a) => [a.id, normalise(a.offerings)]));
    const puts: ReceivedPut[] = (await sim.requests())
      .filter((r) => r.operation === 'UpdateAccountOffering' && Array.isArray((r.body as { offerings?: unknown })?.offerings))
      .map((r) => ({ accountId: r.path.split('/')[4]!, at: Date.parse(r.at), offerings: normalise((r.body as { offerings: Offering[] }).offerings) }));
    const counts = { puts: puts.length, changes: changes.length, auditRecords: audit.length, intents: await intentCounts(store) };
    const observed: Observed = {
      sent,
      puts,
      changes,
      audit,
      customers: TRIAL_CUSTOMERS.map((c) => ({ username: c.username, accountId: c.accountId, seed: seedAccounts.get(c.accountId)!, final: accounts.get(c.accountId)! })),
      unsettled: await unsettledIntents(store),
      intents: (await store.listIntents()).map((i) => ({ id: i.id, requestId: i.requestId, status: i.status })),
      packageOfferings: new Set(Object.values(PACKAGES).map((p) => p.offering)),
    };
    return { observed, counts };
  } finally {
    await store.close();
  }
}

/** Write intents not settled yet, described. */
async function unsettledIntents(store: Store): Promise<string[]> {
  return (await store.listIntents({ unsettled: true })).map((i) => `customer ${i.customerId}: intent ${i.id} (${i.action}) ${i.status}`);
}

/** How the run's write intents ended. */
async function intentCounts(store: Store): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const intent of await store.listIntents()) {
    counts[intent.status] = (counts[intent.status] ?? 0) + 1;
    if (intent.requestId?.startsWith('trial-')) counts['of a trial request'] = (counts['of a trial request'] ?? 0) + 1;
  }
  return counts;
}

function withSchema(server: string, schema: string): string {
  const url = new URL(server);
  url.searchParams.set('schema', schema);
  return url.toString();
}

async function dropSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: POSTGRES_SERVER });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await admin.end();
  }
}

/** One line per run, and the totals. */
export function summarise(reports: RunReport[]): string {
  const lines = reports.map(
    (r) =>
      `${r.store.padEnd(8)} seed ${r.seed}: ${r.kills} kills (${Object.entries(r.triggers).map(([t, n]) => `${t} ${n}`).join(', ')}), ` +
      `${r.requests} requests (${r.retries} retries; ${Object.entries(r.answers).map(([a, n]) => `${a} ${n}`).join(', ')}), ${r.puts} PUTs, ${r.changes} changes, ` +
      `${r.auditRecords} audit records, intents ${Object.entries(r.intents).map(([st, n]) => `${st} ${n}`).join(', ') || 'none'}, ${r.violations.length} violations, ${(r.wallMs / 1000).toFixed(1)} s`,
  );
  for (const store of ['sqlite', 'postgres'] as const) {
    const mine = reports.filter((r) => r.store === store);
    if (mine.length === 0) continue;
    const sum = (f: (r: RunReport) => number) => mine.reduce((s, r) => s + f(r), 0);
    lines.push(`${store} total: ${mine.length} runs, ${sum((r) => r.kills)} kills, ${sum((r) => r.requests)} requests, ${sum((r) => r.puts)} PUTs, ${sum((r) => r.violations.length)} violations`);
  }
  for (const r of reports)
    for (const v of r.violations) lines.push(`VIOLATION ${r.store} seed ${r.seed} [${v.invariant}] ${v.username}: ${v.detail}`);
  return lines.join('\n');
}
