// The caller ledger's keys and batches: what a request is counted under, and exact sums.
import { describe, expect, it } from 'vitest';
import {
  CALLER_MAX_LENGTH,
  CallerCap,
  claimedName,
  countRequest,
  KEY_LIKE_CALLER,
  mergeBatches,
  NO_CALLER,
  OTHER_CALLERS,
  usageKeyOf,
  type UsageBatch,
  type UsageKey,
  type UsageObservation,
} from '../../src/rules/usage.js';

const observation = (over: Partial<UsageObservation> = {}): UsageObservation => ({
  surface: 'apiv2',
  task: 'list',
  format: 'json',
  status: 200,
  outcome: 'success',
  caller: 'alice',
  authenticated: true,
  authStyle: 'password',
  ...over,
});

describe('claimed names', () => {
  it.each([
    [undefined, NO_CALLER],
    ['', NO_CALLER],
    ['   ', NO_CALLER],
    [' alice ', 'alice'],
    ['a\u0000b\nc', 'a?b?c'],
    ['SG.abcdefgh12345678.xyz', KEY_LIKE_CALLER],
    ['x'.repeat(500), 'x'.repeat(CALLER_MAX_LENGTH)],
    ['é'.repeat(100), 'é'.repeat(CALLER_MAX_LENGTH)],
  ])('%j → %j', (raw, name) => expect(claimedName(raw)).toBe(name));
});

describe('the cap on unknown callers', () => {
  it.each([
    ['an authenticated caller', { caller: 'alice', authenticated: true }, 'alice'],
    ['a known reseller, wrong password', { caller: 'known', authenticated: false }, 'known'],
    ['an unknown name under the cap', { caller: 'typo', authenticated: false }, 'typo'],
    ['no name', { caller: undefined, authenticated: false }, NO_CALLER],
  ])('%s', (_what, obs, name) => expect(new CallerCap(new Set(['known']), 2).nameOf(obs)).toBe(name));

  it('beyond the cap, new unknown names share one bucket; admitted ones keep theirs', () => {
    const cap = new CallerCap(new Set(['known']), 3);
    const names = ['j1', 'j2', 'j3', 'j4', 'j5', 'j1', 'known', 'j6'].map((caller) => cap.nameOf({ caller, authenticated: false }));
    expect(names).toEqual(['j1', 'j2', 'j3', OTHER_CALLERS, OTHER_CALLERS, 'j1', 'known', OTHER_CALLERS]);
  });

  it('names already in the ledger count against the cap', () => {
    const cap = new CallerCap(new Set(['known']), 2);
    cap.seed(['old1', 'known', 'old2', 'old3']);
    expect(['old2', 'new', 'known'].map((caller) => cap.nameOf({ caller, authenticated: false }))).toEqual(['old2', OTHER_CALLERS, 'known']);
  });

  it('a flood of 100,000 junk names makes at most cap + 1 callers', () => {
    const cap = new CallerCap(new Set(), 100);
    const names = new Set(Array.from({ length: 100_000 }, (_, i) => cap.nameOf({ caller: `junk${i}`, authenticated: false })));
    expect(names.size).toBe(101);
  });
});

describe('keys', () => {
  it.each([
    ['apiv2', observation(), { reseller: 'c', authStyle: 'password', surface: 'apiv2', task: 'list', format: 'json', outcome: 'success' }],
    ['unknown task', observation({ task: undefined, outcome: 'not_found' }), { reseller: 'c', authStyle: 'password', surface: 'apiv2', task: '', format: 'json', outcome: 'not_found' }],
    [
      'directory',
      observation({ surface: 'directory', task: 'change_package', authStyle: 'directory_token' }),
      { reseller: 'c', authStyle: 'directory_token', surface: 'directory', task: 'change_package', format: 'json', outcome: 'success' },
    ],
    ['a probe is not a legacy call', observation({ surface: 'probe' }), undefined],
    ['an unknown path neither', observation({ surface: 'other' }), undefined],
  ])('%s', (_what, obs, key) => expect(usageKeyOf(obs, 'c')).toEqual(key));
});

describe('batches', () => {
  const key = (reseller: string): UsageKey => ({ reseller, authStyle: 'password', surface: 'apiv2', task: 'list', format: 'json', outcome: 'success' });
  const t = (iso: string) => new Date(iso);

  it('counts per key, with first and last seen, the last status and the days', () => {
    const batch: UsageBatch = new Map();
    countRequest(batch, key('a'), 200, t('2027-01-01T23:59:59.000Z'));
    countRequest(batch, key('a'), 503, t('2027-01-02T00:00:01.000Z'));
    countRequest(batch, key('a'), 400, t('2027-01-01T12:00:00.000Z')); // observed late: not the last
    countRequest(batch, key('b'), 200, t('2027-01-02T00:00:00.000Z'));
    expect([...batch.values()]).toEqual([
      {
        key: key('a'),
        count: 3,
        firstSeen: '2027-01-01T12:00:00.000Z',
        lastSeen: '2027-01-02T00:00:01.000Z',
        lastStatus: 503,
        days: new Map([['2027-01-01', 2], ['2027-01-02', 1]]),
      },
      { key: key('b'), count: 1, firstSeen: '2027-01-02T00:00:00.000Z', lastSeen: '2027-01-02T00:00:00.000Z', lastStatus: 200, days: new Map([['2027-01-02', 1]]) },
    ]);
  });

  it('a batch put back merges exactly with the newer one', () => {
    const older: UsageBatch = new Map();
    const newer: UsageBatch = new Map();
    for (let i = 0; i < 7; i++) countRequest(older, key(`c${i % 3}`), 200, t(`2027-01-01T00:00:0${i}.000Z`));
    for (let i = 0; i < 5; i++) countRequest(newer, key(`c${i % 4}`), 400, t(`2027-01-02T00:00:0${i}.000Z`));
    const both: UsageBatch = new Map();
    for (let i = 0; i < 7; i++) countRequest(both, key(`c${i % 3}`), 200, t(`2027-01-01T00:00:0${i}.000Z`));
    for (let i = 0; i < 5; i++) countRequest(both, key(`c${i % 4}`), 400, t(`2027-01-02T00:00:0${i}.000Z`));
    mergeBatches(newer, older);
    const sorted = (b: UsageBatch) => [...b.entries()].sort(([x], [y]) => x.localeCompare(y));
    expect(sorted(newer)).toEqual(sorted(both));
  });
});
