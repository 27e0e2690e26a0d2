// Each fault knob, in-process (sim.faults) and over the admin routes.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { demoSeed, startTestSimulator, type Simulator } from '../helpers/simulator.js';
import { call, demo, freePackage, silverPackage } from './support.js';

let sim: Simulator;
let draw = 0;
beforeEach(async () => {
  draw = 0;
  sim = await startTestSimulator({ random: () => draw, now: () => new Date('2026-01-01T00:00:00Z') });
});
afterEach(() => sim.close());

const list = (options = {}) => call(sim, 'GET', '/v3/partners/accounts', options);
const state = () => call(sim, 'GET', `/v3/partners/accounts/${demo.gold}/state`);
const elapsed = async (run: () => Promise<unknown>) => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};

describe('latency', () => {
  test('delays every answer by at least the latency', async () => {
    sim.faults.latency(150);
    expect(await elapsed(() => list())).toBeGreaterThanOrEqual(145);
  });

  test('a per-operation latency delays only that operation', async () => {
    sim.faults.latency(10_000, 'GetAccountState');
    const aborted = call(sim, 'GET', `/v3/partners/accounts/${demo.gold}/state`, { signal: AbortSignal.timeout(100) });
    await expect(aborted).rejects.toThrow();
    expect(await elapsed(() => list())).toBeLessThan(10_000);
  });
});

describe('injected errors', () => {
  test('error rate 1 answers every request with the chosen status', async () => {
    sim.faults.errorRate(1, 502);
    expect((await list()).status).toBe(502);
    expect((await state()).status).toBe(502);
  });

  test('the error rate is compared with each random draw', async () => {
    sim.faults.errorRate(0.5, 503);
    draw = 0.49;
    expect((await list()).status).toBe(503);
    draw = 0.5;
    expect((await list()).status).toBe(200);
  });

  test('failNext answers the next n requests with the status, then recovers', async () => {
    sim.faults.failNext(2, 504);
    expect([(await list()).status, (await list()).status, (await list()).status]).toEqual([504, 504, 200]);
  });

  test('failNext can target one operation', async () => {
    sim.faults.failNext(1, 500, 'GetAccountState');
    expect((await list()).status).toBe(200);
    const failed = await state();
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ errors: [{ message: 'Something went wrong', field: '', error_id: '10-50000' }] });
    expect((await state()).status).toBe(200);
  });

  test('an injected failure of a write does not apply it', async () => {
    sim.faults.failNext(1, 503, 'UpdateAccountOffering');
    const put = await call(sim, 'PUT', `/v3/partners/accounts/${demo.free}/offerings`, { json: { offerings: [silverPackage] } });
    expect(put.status).toBe(503);
    expect(sim.account(demo.free)?.offerings).toEqual([freePackage]);
    expect(sim.writes(demo.free).offerings).toBe(0);
  });

  test('faults come before authentication, like a gateway in front of the API', async () => {
    sim.faults.failNext(1, 503);
    expect((await list({ key: 'SG.wrong' })).status).toBe(503);
  });
});

describe('rate limiting', () => {
  test('429 with Retry-After and X-RateLimit headers for the next n requests', async () => {
    sim.faults.rateLimit({ count: 2, retryAfterSeconds: 3 });
    const limited = await list();
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('3');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(limited.headers['x-ratelimit-reset']).toBe(String(Date.parse('2026-01-01T00:00:00Z') / 1000 + 3));
    expect(limited.body.errors[0].message).toBe('too many requests');
    expect((await list()).status).toBe(429);
    expect((await list()).status).toBe(200);
  });

  test('without a count, every request is limited until cleared', async () => {
    sim.faults.rateLimit({ retryAfterSeconds: 1 });
    for (let i = 0; i < 5; i++) expect((await list()).status).toBe(429);
    sim.faults.clear();
    expect((await list()).status).toBe(200);
  });
});

describe('down', () => {
  test('reset: connections are destroyed, then it comes back', async () => {
    sim.faults.down('reset');
    await expect(list()).rejects.toThrow();
    sim.faults.up();
    expect((await list()).status).toBe(200);
  });

  test('refuse: the port stops listening, then listens again on the same port', async () => {
    sim.faults.down('refuse');
    await expect(list()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    sim.faults.up();
    await waitFor(async () => (await list()).status === 200);
  });

  test('down for a while comes back by itself (set over the admin route)', async () => {
    const set = await call(sim, 'PUT', '/_simulator/faults', { key: null, json: { down: 'refuse', downForMs: 200 } });
    expect(set.body.down).toBe('refuse');
    await expect(list()).rejects.toThrow();
    await waitFor(async () => (await list().catch(() => ({ status: 0 }))).status === 200);
    expect(sim.faults.settings.down).toBe(false);
  });
});

describe('late answer to an applied write', () => {
  test('the offerings PUT is applied, the client times out, the change is there', async () => {
    sim.faults.answerLate(5_000);
    const put = call(sim, 'PUT', `/v3/partners/accounts/${demo.free}/offerings`, { json: { offerings: [silverPackage] }, signal: AbortSignal.timeout(200) });
    await expect(put).rejects.toThrow();
    expect(sim.account(demo.free)?.offerings).toEqual([silverPackage]);
    expect(sim.writes(demo.free).offerings).toBe(1);
    const read = await call(sim, 'GET', `/v3/partners/accounts/${demo.free}/offerings`);
    expect(read.body.offerings).toEqual([silverPackage]);
  });

  test('a patient client gets the answer after the delay; only the next n writes are late', async () => {
    sim.faults.answerLate(150, 1);
    const path = `/v3/partners/accounts/${demo.free}/offerings`;
    expect(await elapsed(async () => expect((await call(sim, 'PUT', path, { json: { offerings: [silverPackage] } })).status).toBe(200))).toBeGreaterThanOrEqual(145);
    expect(sim.faults.settings.lateWrite).toBeNull();
  });

  test('a rejected write is not held back', async () => {
    sim.faults.answerLate(10_000);
    const answer = await call(sim, 'PUT', `/v3/partners/accounts/${demo.free}/offerings`, { json: { offerings: [] }, signal: AbortSignal.timeout(5_000) });
    expect(answer.status).toBe(400);
    expect(sim.faults.settings.lateWrite).not.toBeNull();
  });
});

describe('admin routes', () => {
  const admin = (method: string, path: string, json?: unknown) => call(sim, method, `/_simulator/${path}`, { key: null, ...(json !== undefined ? { json } : {}) });

  test('PUT /_simulator/faults sets knobs, GET reads them, DELETE clears them', async () => {
    const set = await admin('PUT', 'faults', { failNext: { count: 1, status: 502 }, latencyByOperation: { ListOffering: 5 } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ failNext: { count: 1, status: 502 }, latencyByOperation: { ListOffering: 5 } });
    expect((await admin('GET', 'faults')).body.failNext).toEqual({ count: 1, status: 502 });
    expect((await list()).status).toBe(502);
    await admin('PUT', 'faults', { errorRate: 1 });
    expect((await admin('DELETE', 'faults')).body).toMatchObject({ errorRate: 0, failNext: null, down: false });
    expect((await list()).status).toBe(200);
  });

  test('an invalid fault setting is refused with the field named', async () => {
    const answer = await admin('PUT', 'faults', { errorStatus: 418, bogus: true });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['', 'errorStatus']);
    expect(sim.faults.settings.errorStatus).toBe(500);
  });

  test('admin routes need no key and see no faults', async () => {
    sim.faults.errorRate(1, 503);
    sim.faults.down('reset');
    expect((await admin('GET', `accounts/${demo.gold}`)).status).toBe(200);
  });

  test('writes, full account state, received requests and reset', async () => {
    await call(sim, 'PUT', `/v3/partners/accounts/${demo.gold}/state`, { json: { state: 'deactivated' } });
    expect((await admin('GET', `writes/${demo.gold}`)).body).toEqual({ offerings: 0, state: 1 });
    expect((await admin('GET', `accounts/${demo.gold}`)).body).toMatchObject({ id: demo.gold, reseller: 'your_sendgrid_username', state: 'deactivated' });
    expect((await admin('GET', `accounts/${demo.unknown}`)).status).toBe(404);
    expect((await admin('GET', 'accounts')).body.accounts).toHaveLength(demoSeed().accounts.length);
    expect((await admin('GET', 'requests')).body.requests).toMatchObject([{ method: 'PUT', operation: 'UpdateAccountState' }]);
    expect((await admin('POST', 'reset')).status).toBe(204);
    expect(sim.account(demo.gold)?.state).toBe('activated');
    expect((await admin('GET', 'requests')).body.requests).toEqual([]);
  });

  test('unknown admin routes are 404', async () => {
    expect((await admin('GET', 'nothing')).status).toBe(404);
    expect((await admin('POST', 'faults')).status).toBe(404);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
