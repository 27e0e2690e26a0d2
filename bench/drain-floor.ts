// The floor of a scheduler pass, for benchmark 3: the least any pass must do for each due
// change. It claims the due changes in batches and applies each with the same three v3 calls
// through undici as the bridge (GET state and GET offerings in parallel, then the PUT of the
// target package with the add-ons kept), as many at once as the bridge's pass; no rules,
// validation, logging, retries or deadlines.
//
// FLOOR_PROMISES=1 also keeps the scheduler's promises, through the bridge's own SQLite store and
// nothing else of the bridge: the claim (lease and fence, batch by batch), the customer's lock,
// the write intent committed before the PUT, and the fenced finish with its audit record. Without
// it the changes are read from the store before the clock starts and only the v3 calls are timed.
// Environment: FLOOR_STORE (the seeded SQLite file), FLOOR_UPSTREAM (v3 origin), FLOOR_KEY (v3
// key), FLOOR_PACKAGES (JSON: legacy package name -> package offering), FLOOR_BATCH, FLOOR_CONCURRENCY.
// Prints the scheduler child's result line (scheduler-result.ts).
import { writeSync } from 'node:fs';
import type { PendingChange } from '../src/store/store.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { procStatusField } from '../harness/processes.js';
import { floorV3 } from './floor-v3.js';
import { RESULT_PREFIX, type SchedulerChildResult } from './scheduler-result.js';

const promises = process.env.FLOOR_PROMISES === '1';
const packages = new Map(Object.entries(JSON.parse(process.env.FLOOR_PACKAGES!) as Record<string, string>));
const batchSize = Number(process.env.FLOOR_BATCH);
const concurrency = Number(process.env.FLOOR_CONCURRENCY);
const store = SqliteStore.open(process.env.FLOOR_STORE!);
const v3 = floorV3(process.env.FLOOR_UPSTREAM!, process.env.FLOOR_KEY!);
const OWNER = 'drain-floor';
const LEASE_MS = 120_000;

/** The three v3 calls; with the promises, the PUT under an intent and the attempt finished with its record. */
async function apply(change: PendingChange): Promise<void> {
  const { before, after } = await v3.read(change.accountId, packages.get(change.targetPackage)!);
  const action = `apply_${change.type}`;
  const intent = promises
    ? await store.openIntent({
        customerId: change.customerId,
        source: 'scheduled',
        actor: 'scheduler',
        action,
        requestId: null,
        changeId: change.id,
        customerUpdate: {},
        offeringsBefore: before,
        targetOfferings: after,
        settleAfter: new Date(Date.now() + 80_000).toISOString(),
        owner: OWNER,
      })
    : undefined;
  await v3.put(change.accountId, after);
  if (!intent) return;
  const audit = { actor: 'scheduler' as const, action, customerId: change.customerId, changeId: change.id, outcome: 'applied', offeringsBefore: before, offeringsAfter: after };
  if (!(await store.finishChange(change.id, change.fence, { status: 'applied' }, {}, audit, { id: intent.id, settleAfter: new Date().toISOString() })))
    throw new Error(`change ${change.id}: finish refused`);
}

async function forEachConcurrently(items: PendingChange[], fn: (item: PendingChange) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

const applyOne = promises ? (change: PendingChange) => store.withCustomerLock(change.customerId, () => apply(change), { lazy: true }) : apply;
// Without the promises, the due changes are read before the clock starts and applied in the same batches.
const unclaimed = promises ? [] : await store.listChanges({ statuses: ['pending'] });
const rssBeforePass = procStatusField(process.pid, 'VmRSS');
const started = performance.now();
const cpuBefore = process.cpuUsage();
let applied = 0;
for (let offset = 0; ; offset += batchSize) {
  const batch = promises ? await store.claimDue(new Date(), OWNER, LEASE_MS, batchSize) : unclaimed.slice(offset, offset + batchSize);
  if (batch.length === 0) break;
  await forEachConcurrently(batch, async (change) => {
    await applyOne(change);
    applied++;
  });
}
const cpu = process.cpuUsage(cpuBefore);
const seconds = (performance.now() - started) / 1000;
const appliedInStore = (await store.listChanges({ statuses: ['applied'] })).length;
const result: SchedulerChildResult = {
  seconds,
  cpuMicros: cpu.user + cpu.system,
  pass: { claimed: promises ? applied : 0, applied, retried: 0, failed: 0, skipped: 0 },
  appliedInStore,
  rssBeforePass,
  peakRss: procStatusField(process.pid, 'VmHWM'),
};
writeSync(1, `${RESULT_PREFIX}${JSON.stringify(result)}\n`);
await v3.close();
await store.close();
