// The row codec: an intent's offerings and update are decoded with the row, into one shape; an intent
// just inserted keeps the payload its writer gave rather than parsing back what was just written.
import { describe, expect, it } from 'vitest';
import { toIntent, toOpenedIntent, type IntentPayload } from '../../src/store/codec.js';

const row = (overrides: Record<string, unknown> = {}) => ({
  id: 7,
  customer_id: 3,
  source: 'immediate',
  actor: 'legacy',
  action: 'immediate_upgrade',
  request_id: null,
  change_id: null,
  superseded_change_id: null,
  offerings_before: '[{"name":"sg.basic","type":"package","quantity":1}]',
  target_offerings: '[{"name":"sg.silver","type":"package","quantity":1}]',
  customer_update: '{"ips":["10.0.0.1"]}',
  status: 'applied',
  settle_after: '2026-12-02T00:01:00.000Z',
  owner: 'pid 1',
  created_at: '2026-12-02T00:00:00.000Z',
  settled_at: '2026-12-02T00:00:01.000Z',
  ...overrides,
});

const KEYS = [
  'id', 'customerId', 'source', 'actor', 'action', 'requestId', 'changeId', 'supersededChangeId',
  'offeringsBefore', 'targetOfferings', 'customerUpdate', 'status', 'settleAfter', 'owner', 'createdAt', 'settledAt',
];

describe('toIntent', () => {
  it.each([
    { given: 'JSON text (SQLite)', r: row() },
    { given: 'parsed JSON (PostgreSQL jsonb)', r: row({ offerings_before: [{ name: 'sg.basic', type: 'package', quantity: 1 }], target_offerings: [{ name: 'sg.silver', type: 'package', quantity: 1 }], customer_update: { ips: ['10.0.0.1'] } }) },
  ])('decodes the JSON columns from $given, in the order and shape of the record', ({ r }) => {
    const intent = toIntent(r);
    expect(Object.keys(intent)).toEqual(KEYS);
    expect(intent).toEqual({
      id: 7, customerId: 3, source: 'immediate', actor: 'legacy', action: 'immediate_upgrade', requestId: null, changeId: null, supersededChangeId: null,
      offeringsBefore: [{ name: 'sg.basic', type: 'package', quantity: 1 }],
      targetOfferings: [{ name: 'sg.silver', type: 'package', quantity: 1 }],
      customerUpdate: { ips: ['10.0.0.1'] },
      status: 'applied', settleAfter: '2026-12-02T00:01:00.000Z', owner: 'pid 1', createdAt: '2026-12-02T00:00:00.000Z', settledAt: '2026-12-02T00:00:01.000Z',
    });
    expect(Object.getOwnPropertyDescriptor(intent, 'offeringsBefore')).toMatchObject({ writable: true, enumerable: true });
  });

  it('refuses a JSON column that is not JSON when the row is read', () => {
    expect(() => toIntent(row({ customer_update: 'not json' }))).toThrow(SyntaxError);
  });
});

describe('toOpenedIntent', () => {
  it("keeps its writer's payload, the same objects, without parsing the row's JSON", () => {
    const payload: IntentPayload = { offeringsBefore: [{ name: 'sg.basic', type: 'package', quantity: 1 }], targetOfferings: [], customerUpdate: { ips: ['10.0.0.9'] } };
    const intent = toOpenedIntent(row({ offerings_before: 'not json', target_offerings: 'not json', customer_update: 'not json' }), payload);
    expect(Object.keys(intent)).toEqual(KEYS);
    expect(intent.offeringsBefore).toBe(payload.offeringsBefore);
    expect(intent).toMatchObject({ id: 7, status: 'applied', targetOfferings: [], customerUpdate: { ips: ['10.0.0.9'] } });
  });
});
