// Two bridge instances on one PostgreSQL schema, on one injected clock: they decide every
// brownout the same at the same instant (the decision is the store's windows and the clock), and
// the ledger sums both instances' requests exactly, refusals included: 10,000 requests from 50
// callers, with a restart of one instance halfway, give exact counts end to end.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, DEMO, startTestBridge, type TestBridge } from '../helpers/bridge.js';

const SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bridge_brownout_${randomBytes(4).toString('hex')}`;
const T0 = new Date('2027-03-01T10:00:00.000Z');
let clock = T0;
let a: TestBridge;
let b: TestBridge;
const start = () => {
  const url = new URL(SERVER);
  url.searchParams.set('schema', schema);
  return startTestBridge({ DATABASE_URL: url.toString() }, { now: () => clock });
};

beforeAll(async () => {
  a = await start();
  b = await start();
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

/** `list` by the demo reseller (in the window) or by the second one (not in it). */
const call = (bridge: TestBridge, who: 'first' | 'second') =>
  request(bridge.url)
    .post('/apiv2/reseller.pending.json')
    .type('form')
    .send(who === 'first' ? `${AUTH}&task=list` : `api_user=${DEMO.secondApiUser}&api_key=${DEMO.secondPassword}&task=list`);

describe('brownouts on two instances of one PostgreSQL schema', () => {
  it('decide the same at every instant, and the ledger sums both exactly', async () => {
    // Added through one instance; both gates read the store.
    const window = await a.store.addBrownout({
      startsAt: new Date(T0.getTime() + 10_000),
      endsAt: new Date(T0.getTime() + 70_000),
      surfaces: ['apiv2'],
      tasks: ['list'],
      resellers: [DEMO.apiUser],
      dryRun: false,
      goneAfterSunset: false,
    });
    await Promise.all([a.brownouts.refresh(), b.brownouts.refresh()]);

    const seen: string[] = [];
    let expectedRefused = 0;
    for (const offset of [0, 9_999, 10_000, 40_500, 69_999, 70_000]) {
      clock = new Date(T0.getTime() + offset);
      for (const who of ['first', 'second'] as const) {
        const [ra, rb] = await Promise.all([call(a, who), call(b, who)]);
        const answer = (r: request.Response) => `${r.status} ${r.headers['retry-after'] ?? '-'}`;
        expect(answer(ra), `${who} at +${offset} ms`).toBe(answer(rb));
        seen.push(`${who} +${offset}: ${answer(ra)}`);
        if (ra.status === 503) expectedRefused += 2;
      }
    }
    expect(seen).toEqual([
      'first +0: 200 -',
      'second +0: 200 -',
      'first +9999: 200 -',
      'second +9999: 200 -',
      'first +10000: 503 60',
      'second +10000: 200 -',
      'first +40500: 503 30',
      'second +40500: 200 -',
      'first +69999: 503 1',
      'second +69999: 200 -',
      'first +70000: 200 -',
      'second +70000: 200 -',
    ]);

    await Promise.all([a.ledger.flush(), b.ledger.flush(), a.brownouts.refresh(), b.brownouts.refresh()]);
    const entries = await b.store.ledgerEntries();
    const count = (reseller: string, outcome: string) => entries.filter((e) => e.reseller === reseller && e.task === 'list' && e.outcome === outcome).reduce((n, e) => n + e.count, 0);
    expect(count(DEMO.apiUser, 'brownout')).toBe(expectedRefused);
    expect(count(DEMO.apiUser, 'success')).toBe(12 - expectedRefused);
    expect(count(DEMO.secondApiUser, 'success')).toBe(12);
    expect((await a.store.listBrownouts()).windows.find((w) => w.id === window.id)).toMatchObject({ refused: expectedRefused, wouldRefuse: 0 });
  });

  it('10,000 refused requests from 50 callers, over both instances and a restart of one, are counted exactly', async () => {
    const window = await a.store.addBrownout({
      startsAt: new Date(T0.getTime() + 100_000),
      endsAt: new Date(T0.getTime() + 200_000),
      surfaces: [],
      tasks: [],
      resellers: [],
      dryRun: false,
      goneAfterSunset: false,
    });
    clock = new Date(T0.getTime() + 150_000);
    await Promise.all([a.brownouts.refresh(), b.brownouts.refresh()]);
    const callers = Array.from({ length: 50 }, (_, i) => `caller-${String(i).padStart(2, '0')}`);
    // Request i: caller i mod 50, task list or overview by i mod 3, to instance a or b by i mod 2.
    const send = async (bridge: TestBridge, i: number) => {
      const task = i % 3 ? 'list' : 'overview';
      const answer = await fetch(`${bridge.url}/apiv2/reseller.${task === 'list' ? 'pending' : 'account'}.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `api_user=${callers[i % 50]}&api_key=not-checked&task=${task}`,
      });
      await answer.arrayBuffer();
      expect(answer.status).toBe(503);
    };
    const sendRange = async (from: number, to: number) => {
      let next = from;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < to) {
            const i = next++;
            await send(i % 2 ? b : a, i);
          }
        }),
      );
    };
    await sendRange(0, 5000);
    await b.stop(); // one instance stops (its batch written as it closes) ...
    b = await start(); // ... and starts again on the same schema
    await b.brownouts.refresh();
    await sendRange(5000, 10_000);
    await Promise.all([a.ledger.flush(), b.ledger.flush(), a.brownouts.refresh(), b.brownouts.refresh()]);

    const expected = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const key = `${callers[i % 50]} ${i % 3 ? 'list' : 'overview'}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const counted = new Map<string, number>();
    for (const e of await a.store.ledgerEntries())
      if (e.reseller.startsWith('caller-')) {
        expect([e.outcome, e.authStyle, e.lastStatus]).toEqual(['brownout', 'password', 503]);
        counted.set(`${e.reseller} ${e.task}`, (counted.get(`${e.reseller} ${e.task}`) ?? 0) + e.count);
      }
    expect(counted).toEqual(expected);
    expect((await a.store.listBrownouts()).windows.find((w) => w.id === window.id)).toMatchObject({ refused: 10_000, wouldRefuse: 0 });
  }, 60_000);
});
