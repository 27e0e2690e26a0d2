import { describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/config/mappings.js';
import { LegacyAuthenticator } from '../../src/edge/auth.js';

const mappings = loadMappings('mappings');
const main = mappings.resellerByUser.get('your_sendgrid_username')!;
const second = mappings.resellerByUser.get('second_reseller')!;
const keys = new Map([
  ['your_sendgrid_username', 'SG.main-key'],
  ['second_reseller', 'SG.second-key'],
]);

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
  it('remembers a success until it expires', async () => {
    const clock = { t: 1_000 };
    const auth = authenticator(clock);
    const creds = { apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password' };
    expect(await auth.authenticate(creds)).toBe(main);
    // A cached success answers without hashing: far faster than scrypt, and still right.
    expect(await auth.authenticate(creds)).toBe(main);
    clock.t += 6 * 60_000;
    expect(await auth.authenticate(creds)).toBe(main);
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
    const auth = new LegacyAuthenticator(mappings.resellers, keys, {
      verify: async () => {
        hashes++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return true;
      },
    });
    const creds = { apiUser: 'your_sendgrid_username', apiKey: 'your_sendgrid_password' };
    const results = await Promise.all(Array.from({ length: 8 }, () => auth.authenticate(creds)));
    expect(results.every((r) => r === main)).toBe(true);
    expect(hashes).toBe(1);
  });

  it('runs at most two password hashes at once', async () => {
    let running = 0;
    let peak = 0;
    const auth = new LegacyAuthenticator(mappings.resellers, keys, {
      verify: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return false;
      },
    });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => auth.authenticate({ apiUser: 'second_reseller', apiKey: `guess-${i}` })),
    );
    expect(results.every((r) => r === undefined)).toBe(true);
    expect(peak).toBe(2);
  });
});
