// How long the bridge freezes while a SQLite write waits for another process's write lock (the
// operator CLI's pass, say): a child process holds BEGIN IMMEDIATE for HOLD_MS (1,500 ms), this
// process starts one write meanwhile and measures how long the call itself blocked and the
// longest the event loop stood still until the write landed. `npm run bench:sqlite-lock`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { projectRoot, startNode } from '../harness/processes.js';
import { SqliteStore } from '../src/store/sqlite.js';

const HOLD_MS = Number(process.env.HOLD_MS ?? 1_500);
const dir = mkdtempSync(join(tmpdir(), 'bridge-lock-wait-'));
const path = join(dir, 'bridge.db');
const store = SqliteStore.open(path);
try {
  await store.importCustomers([{ reseller: 'r', username: 'u', accountId: 'acc-u' }]);
  const [customer] = await store.listCustomers();
  const holder = startNode(join(projectRoot, 'test/store/fixtures/lock-holder.mjs'), {
    args: [path, 'write-lock'],
    env: { HOLD_MS: String(HOLD_MS) },
    name: 'lock holder',
  });
  await holder.waitForOutput(/^held$/m);

  // The longest gap between two ticks of a 1 ms timer: how long the event loop could not run.
  let lastTick = performance.now();
  let longestGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - lastTick);
    lastTick = now;
  }, 1);
  const started = performance.now();
  const write = store.appendAudit({ actor: 'operator', action: 'note', customerId: customer!.id, outcome: 'noted' });
  const blocked = performance.now() - started;
  const outcome = await write.then(
    () => 'landed',
    (error: unknown) => `failed (${(error as Error).message})`,
  );
  const total = performance.now() - started;
  // A freeze shows at the ticker's next tick, once the loop runs again.
  await delay(20);
  clearInterval(ticker);
  await holder.exited;
  console.log(
    `another process held the write lock for ${HOLD_MS} ms: the write call blocked ${blocked.toFixed(1)} ms, ` +
      `the event loop stood still for at most ${longestGap.toFixed(1)} ms, the write ${outcome} after ${total.toFixed(0)} ms`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
