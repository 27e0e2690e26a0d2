import { describe, expect, it } from 'vitest';
import { V3Error, type V3ErrorKind } from '../../src/v3/errors.js';

const error = (kind: V3ErrorKind, status?: number) =>
  new V3Error(kind, 'x', { operation: 'GetAccountState', ...(status ? { status } : {}) });

describe('V3Error: what the scheduler retries and what a legacy client sees', () => {
  it.each([
    ['http', 400, false, 502],
    ['http', 401, true, 502], // a rotated key: the operator fixes it, due changes wait
    ['http', 403, false, 502],
    ['http', 404, false, 502],
    ['http', 429, true, 503],
    ['http', 500, true, 502],
    ['http', 502, true, 502],
    ['http', 503, true, 503],
    ['http', 504, true, 504],
    ['timeout', undefined, true, 504],
    ['deadline', undefined, true, 504],
    ['deadline', 429, true, 503], // Retry-After beyond the deadline: unavailable, not slow
    ['deadline', 503, true, 503],
    ['network', undefined, true, 503],
    ['invalid-response', 200, false, 502],
  ] as const)('%s %s → transient %s, legacy status %i', (kind, status, transient, gateway) => {
    const e = error(kind, status);
    expect(e.transient).toBe(transient);
    expect(e.gatewayStatus).toBe(gateway);
  });
});
