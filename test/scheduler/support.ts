// Shared by the scheduled-change tests: a bridge with a clock the test sets, legacy calls,
// and readers of the store's history and the simulator's accounts.
import request from 'supertest';
import { expect } from 'vitest';
import type { BridgeOptions } from '../../src/server.js';
import type { AuditRecord, ChangeStatus, PendingChange } from '../../src/store/store.js';
import { AUTH, DEMO, startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { validateRecordedV3Request } from '../helpers/v3-contract.js';

export { AUTH, DEMO };
export type { TestBridge };

export const ALL_STATUSES: ChangeStatus[] = ['pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed'];

/** A settable clock: the bridge's scheduling dates and the scheduler read it. */
export class TestClock {
  constructor(private current: Date) {}
  readonly now = (): Date => new Date(this.current);
  set(iso: string): void {
    this.current = new Date(iso);
  }
}

export interface ClockedBridge extends TestBridge {
  clock: TestClock;
}

/** A fresh bridge (own database, own embedded simulator) whose clock reads `today`. */
export async function startClockedBridge(
  today: string,
  options: Partial<BridgeOptions> = {},
  env: Record<string, string> = {},
): Promise<ClockedBridge> {
  const clock = new TestClock(new Date(today));
  const bridge = await startTestBridge(env, { now: clock.now, ...options, scheduler: { now: clock.now, ...options.scheduler } });
  return Object.assign(bridge, { clock });
}

/** Every request the bridge sent upstream must be one the official v3 spec allows. */
export function expectOnlyValidV3Requests(bridge: TestBridge): void {
  for (const r of bridge.simulator!.requests) expect(validateRecordedV3Request(r), `${r.method} ${r.path}`).toEqual([]);
}

/** A legacy form POST (`call` like `reseller.account.json`). */
export function legacy(bridge: TestBridge, call: string, form: string) {
  return request(bridge.url).post(`/apiv2/${call}`).type('form').send(`${AUTH}&${form}`);
}

export async function expectSuccess(bridge: TestBridge, form: string): Promise<void> {
  const res = await legacy(bridge, 'reseller.account.json', form);
  expect(res.text, form).toBe('{"message":"success"}');
}

export async function listPending(bridge: TestBridge, filters = ''): Promise<unknown[]> {
  const res = await legacy(bridge, 'reseller.pending.json', `task=list${filters}`);
  expect(res.status).toBe(200);
  return res.body as unknown[];
}

export function customerId(bridge: TestBridge, username: string): Promise<number> {
  return bridge.store.findCustomer({ reseller: DEMO.apiUser, username }).then((c) => c!.id);
}

/** Every change of one customer, oldest first, whatever its status. */
export async function historyOf(bridge: TestBridge, username: string): Promise<PendingChange[]> {
  const id = await customerId(bridge, username);
  return (await bridge.store.listChanges({ statuses: ALL_STATUSES })).filter((c) => c.customerId === id);
}

/** The customer's one listed (pending, applying or failed) change. */
export async function listedChangeOf(bridge: TestBridge, username: string): Promise<PendingChange> {
  const listed = (await historyOf(bridge, username)).filter((c) => ['pending', 'applying', 'failed'].includes(c.status));
  expect(listed).toHaveLength(1);
  return listed[0]!;
}

/** The outcomes the audit log holds for one change, in order. */
export async function auditOutcomes(bridge: TestBridge, changeId: number): Promise<string[]> {
  return (await bridge.store.listAudit({ changeId })).map((a: AuditRecord) => `${a.actor}:${a.outcome}`);
}

/** `name:quantity` of each offering, sorted. */
export function offeringsOf(bridge: TestBridge, accountId: string): string[] {
  return bridge.simulator!.account(accountId)!.offerings.map((o) => `${o.name}:${o.quantity ?? 1}`).sort();
}

export function offeringWrites(bridge: TestBridge): number {
  return bridge.simulator!.accounts().reduce((n, a) => n + bridge.simulator!.writes(a.id).offerings + bridge.simulator!.writes(a.id).state, 0);
}

/** Polls `check` every few ms until it holds (bounded). */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
