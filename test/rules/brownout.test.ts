// The brownout decision: a pure function of (windows, switch, instant, request).
import { describe, expect, it } from 'vitest';
import { decideBrownout, refusalMessage, retryAfter, type BrownoutRequest, type BrownoutWindow } from '../../src/rules/brownout.js';
import { brownoutWindow } from '../helpers/brownout.js';

const T0 = new Date('2027-03-01T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const window = (id: number, over: Partial<BrownoutWindow> = {}): BrownoutWindow => ({ id, ...brownoutWindow(at(0), 3_600_000, over) });
const request = (over: Partial<BrownoutRequest> = {}): BrownoutRequest => ({
  surface: 'apiv2',
  task: 'list',
  reseller: 'alice',
  pastSunset: false,
  ...over,
});

describe('which requests a window matches', () => {
  it.each([
    ['inside, every surface and task', window(1), 0, request(), true],
    ['at its start (inclusive)', window(1), 0, request(), true],
    ['just before its start', window(1), -0.001, request(), false],
    ['at its end (exclusive)', window(1), 3600, request(), false],
    ['just before its end', window(1), 3599.999, request(), true],
    ['its surface', window(1, { surfaces: ['directory'] }), 10, request({ surface: 'directory', task: 'change_package' }), true],
    ['another surface', window(1, { surfaces: ['directory'] }), 10, request(), false],
    ['its task', window(1, { tasks: ['list', 'delete'] }), 10, request({ task: 'delete' }), true],
    ['another task', window(1, { tasks: ['list'] }), 10, request({ task: 'overview' }), false],
    ['an unknown task, window of some tasks', window(1, { tasks: ['list'] }), 10, request({ task: undefined }), false],
    ['an unknown task, window of every task', window(1), 10, request({ task: undefined }), true],
    ['its reseller', window(1, { resellers: ['alice', 'bob'] }), 10, request({ reseller: 'bob' }), true],
    ['another reseller', window(1, { resellers: ['alice'] }), 10, request({ reseller: 'carol' }), false],
  ])('%s', (_what, w, seconds, req, refused) => {
    expect(decideBrownout({ enabled: true, windows: [w] }, at(seconds), req).kind).toBe(refused ? 'refuse' : 'pass');
  });
});

describe('the decision', () => {
  it.each([
    ['no window', [], true, 'pass', undefined, undefined],
    ['an enforcing window: 503 until its end', [window(1)], true, 'refuse', 503, 3600 - 10],
    ['a dry-run window counts, refuses nothing', [window(1, { dryRun: true })], true, 'dry_run', undefined, undefined],
    ['enforcing wins over dry-run', [window(1, { dryRun: true }), window(2)], true, 'refuse', 503, 3590],
    ['overlapping: the one ending last sets Retry-After', [window(1), window(2, { endsAt: at(7200) })], true, 'refuse', 503, 7190],
    ['the switch off: nothing refused, still counted', [window(1)], false, 'dry_run', undefined, undefined],
    ['after the sunset, if so configured: 410 without Retry-After', [window(1, { goneAfterSunset: true })], true, 'refuse', 410, undefined],
  ] as const)('%s', (_what, windows, enabled, kind, status, retry) => {
    const decision = decideBrownout({ enabled, windows }, at(10), request({ pastSunset: true }));
    expect(decision.kind).toBe(kind);
    if (decision.kind === 'refuse') {
      expect(decision.status).toBe(status);
      expect(decision.retryAfterSeconds).toBe(retry);
    }
  });

  it('a window gone-after-sunset answers 503 before the sunset', () => {
    const decision = decideBrownout({ enabled: true, windows: [window(1, { goneAfterSunset: true })] }, at(10), request());
    expect(decision).toMatchObject({ kind: 'refuse', status: 503, retryAfterSeconds: 3590 });
  });

  it('ties are broken by id, whatever the order read', () => {
    const windows = [window(7), window(3), window(5)];
    const ids = [windows, [...windows].reverse()].map((w) => {
      const d = decideBrownout({ enabled: true, windows: w }, at(1), request());
      return d.kind === 'refuse' ? d.window.id : undefined;
    });
    expect(ids).toEqual([3, 3]);
  });

  it.each([
    [0, 3600],
    [3599.001, 1],
    [3599.999, 1],
    [1799.5, 1801],
  ])('Retry-After at +%ss is %ss (whole seconds, never 0)', (seconds, expected) => {
    expect(retryAfter(window(1), at(seconds))).toBe(expected);
  });

  it('the refusal says until when', () => {
    const decision = decideBrownout({ enabled: true, windows: [window(1)] }, at(10), request());
    expect(decision.kind === 'refuse' && refusalMessage(decision)).toContain('until 2027-03-01T11:00:00.000Z');
  });
});
