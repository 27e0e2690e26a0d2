import { describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/config/mappings.js';
import { verifyPassword } from '../../src/core/credentials.js';
import { LegacyAuthenticator } from '../../src/edge/auth.js';

const mappings = loadMappings('mappings');
const main = mappings.resellerByUser.get('your_sendgrid_username')!;
const second = mappings.resellerByUser.get('second_reseller')!;
const keys = new Map([
  ['your_sendgrid_username', 'SG.main-key'],
  ['second_reseller', 'SG.second-key'],
]);

/** A password check that answers like the real one and counts its calls. */
function countingVerify() {
  let calls = 0;
  return {
    verify: async (password: string, hash: string) => {
      calls++;
      return verifyPassword(password, hash);
    },
    calls: () => calls,
  };
}

function authenticator(now = { t: 0 }) {
  return new LegacyAuthenticator(mappings.resellers, keys, { now: () => now.t, throttleFailures: 3, throttleWindowMs: 60_000 });
}

describe('the three legacy auth styles', () => {
  const auth = authenticator();
  it.each([
    ['api_user + legacy password', { apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password' }, main],
    ['the second reseller’s password', { apiUser: 'second_reseller', apiKey: 'second_reseller_password' }, second],
    ['api_user=apikey + v3 key', { apiUser: 'apikey', apiKey: 'SG.main-key' }, main],
    ['Bearer v3 key', { bearer: 'SG.second-key' }, second],
    ['a wrong password', { apiUser: 'your_sendgrid_username', apiKey: 'nope' }, undefined],
    ['an unknown api_user', { apiUser: 'nobody', apiKey: 'your_sendgrid_password' }, undefined],
    ['one reseller’s password for another', { apiUser: 'second_reseller', apiKey: 'your_sendgrid_password' }, undefined],
    ['api_user=apikey + a wrong key', { apiUser: 'apikey', apiKey: 'SG.other' }, undefined],
    ['a wrong Bearer key', { bearer: 'SG.other' }, undefined],
    ['a Bearer key alongside api_user is ignored', { bearer: 'SG.main-key', apiUser: 'your_sendgrid_username' }, undefined],
    ['nothing at all', {}, undefined],
    ['api_user without api_key', { apiUser: 'your_sendgrid_username' }, undefined],
  ])('%s', async (_name, credentials, expected) => {
    expect(await auth.authenticate(credentials)).toBe(expected);
  });
});

describe('caching and throttling', () => {
  it('remembers a success until it expires: one hash for two logins, a new one after 5 minutes', async () => {
    const clock = { t: 1_000 };
    const counted = countingVerify();
    const auth = new LegacyAuthenticator(mappings.resellers, keys, { now: () => clock.t, verify: counted.verify });
    const creds = { apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password' };
    expect(await auth.authenticate(creds)).toBe(main);
    clock.t += 4 * 60_000;
    expect(await auth.authenticate(creds)).toBe(main);
    expect(counted.calls()).toBe(1);
    clock.t += 2 * 60_000;
    expect(await auth.authenticate(creds)).toBe(main);
    expect(counted.calls()).toBe(2);
  });

  it('remembers a failure for 30 s: the same wrong guess again costs no hash', async () => {
    const clock = { t: 1_000 };
    const counted = countingVerify();
    const auth = new LegacyAuthenticator(mappings.resellers, keys, { now: () => clock.t, verify: counted.verify });
    const creds = { apiUser: 'your_sendgrid_username', apiKey: 'wrong' };
    expect(await auth.check(creds)).toMatchObject({ ok: false, reason: 'wrong_credentials' });
    clock.t += 20_000;
    expect(await auth.check(creds)).toMatchObject({ ok: false, reason: 'wrong_credentials' });
    expect(counted.calls()).toBe(1);
    clock.t += 11_000;
    await auth.check(creds);
    expect(counted.calls()).toBe(2);
  });

  it('throttles per (api_user, client address): guesses from elsewhere do not lock the owner out', async () => {
    const clock = { t: 0 };
    const auth = authenticator(clock);
    for (let i = 0; i < 5; i++) {
      clock.t += 1;
      await auth.check({ apiUser: 'your_sendgrid_username', apiKey: `wrong-${i}`, client: '203.0.113.9' });
    }
    expect(await auth.check({ apiUser: 'your_sendgrid_username', apiKey: 'another', client: '203.0.113.9' })).toMatchObject({
      ok: false,
      reason: 'throttled',
    });
    expect(await auth.check({ apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password', client: '198.51.100.7' })).toMatchObject({
      ok: true,
      reseller: main,
    });
  });

  it('a credential verified minutes ago keeps working through a flood of wrong guesses from its own address', async () => {
    const clock = { t: 0 };
    const auth = authenticator(clock);
    const owner = { apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password', client: '198.51.100.7' };
    expect((await auth.check(owner)).ok).toBe(true);
    for (let i = 0; i < 20; i++) {
      clock.t += 1_000;
      await auth.check({ ...owner, apiKey: `guess-${i}` });
    }
    expect(await auth.check({ ...owner, apiKey: 'guess-x' })).toMatchObject({ ok: false, reason: 'throttled' });
    expect(await auth.check(owner)).toMatchObject({ ok: true, reseller: main });
  });

  it('refuses a password holding NUL without hashing it', async () => {
    const counted = countingVerify();
    const auth = new LegacyAuthenticator(mappings.resellers, keys, { verify: counted.verify });
    expect(await auth.check({ apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password\u0000' })).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
    expect(counted.calls()).toBe(0);
  });

  it('throttles an api_user after repeated failures, even for the right password', async () => {
    const clock = { t: 0 };
    const auth = authenticator(clock);
    for (let i = 0; i < 3; i++) {
      clock.t += 1;
      await auth.authenticate({ apiUser: 'your_sendgrid_username', apiKey: `wrong-${i}` });
    }
    expect(await auth.authenticate({ apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password' })).toBeUndefined();
    // Another api_user is unaffected.
    expect(await auth.authenticate({ apiUser: 'second_reseller', apiKey: 'second_reseller_password' })).toBe(second);
    clock.t += 61_000;
    expect(await auth.authenticate({ apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password' })).toBe(main);
  });

  it('hashes once for a burst of requests with the same credentials', async () => {
    let hashes = 0;
    let finish!: () => void;
    const hashing = new Promise<void>((resolve) => (finish = resolve));
    const auth = new LegacyAuthenticator(mappings.resellers, keys, {
      verify: async () => {
        hashes++;
        await hashing; // the whole burst arrives while the first check runs
        return true;
      },
    });
    const creds = { apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password' };
    const burst = Promise.all(Array.from({ length: 8 }, () => auth.authenticate(creds)));
    await expect.poll(() => hashes).toBe(1);
    finish();
    const results = await burst;
    expect(results.every((r) => r === main)).toBe(true);
    expect(hashes).toBe(1);
  });

  it('runs at most two password hashes at once', async () => {
    let running = 0;
    let peak = 0;
    let finish!: () => void;
    const hashing = new Promise<void>((resolve) => (finish = resolve));
    const auth = new LegacyAuthenticator(mappings.resellers, keys, {
      verify: async () => {
        peak = Math.max(peak, ++running);
        await hashing;
        running--;
        return false;
      },
    });
    const all = Promise.all(
      Array.from({ length: 6 }, (_, i) => auth.authenticate({ apiUser: 'second_reseller', apiKey: `guess-${i}` })),
    );
    await expect.poll(() => running).toBe(2); // two started; the other four wait for a slot
    finish();
    const results = await all;
    expect(results.every((r) => r === undefined)).toBe(true);
    expect(peak).toBe(2);
  });
});

describe('the bounded hash queue', () => {
  /** A password check that finishes only when the test says so, recording which password it was given. */
  function gatedVerify() {
    const started: string[] = [];
    const gates: (() => void)[] = [];
    return {
      started,
      verify: (password: string, hash: string) => {
        started.push(password);
        // Only the demo reseller's own password matches its own hash (no scrypt: the test controls time).
        return new Promise<boolean>((resolve) => gates.push(() => resolve(hash === main.password_hash && password === 'your_sendgrid_password')));
      },
      /** Lets the oldest running check finish. */
      releaseOne: () => gates.shift()!(),
      running: () => gates.length,
    };
  }

  it('a flood of unknown api_users delays a known login by at most the hashes already running, and overflows as "busy"', async () => {
    const gate = gatedVerify();
    const auth = new LegacyAuthenticator(mappings.resellers, keys, { verify: gate.verify, maxQueuedHashes: 16 });
    const flood = Array.from({ length: 300 }, (_, i) => auth.check({ apiUser: `nobody-${i}`, apiKey: 'x', client: '203.0.113.9' }));
    // 2 running, 16 queued: the other 282 are answered at once.
    const busy = await Promise.all(flood.slice(18));
    expect(busy.every((r) => !r.ok && r.reason === 'busy')).toBe(true);
    expect(gate.started).toHaveLength(2);

    const owner = auth.check({ apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password', client: '198.51.100.7' });
    gate.releaseOne(); // the first slot to free goes to the known user, ahead of 16 queued unknown ones
    await expect.poll(() => gate.started.length).toBe(3);
    expect(gate.started[2]).toBe('your_sendgrid_password');
    while (gate.running()) gate.releaseOne();
    expect(await owner).toMatchObject({ ok: true, reseller: main });
    // Drain the queue: each released check hands its slot to the next unknown api_user.
    while (gate.started.length < 19) {
      await expect.poll(() => gate.running()).toBeGreaterThan(0);
      while (gate.running()) gate.releaseOne();
    }
    while (gate.running()) gate.releaseOne();
    const unknown = await Promise.all(flood.slice(0, 18));
    expect(unknown.every((r) => !r.ok && r.reason === 'unknown_user')).toBe(true);
    expect(gate.started).toHaveLength(19); // every unknown api_user that was not refused cost a full hash
  });
});
