// The row codec: an intent's offerings and update are decoded when first read, not when the row is.
import { describe, expect, it } from 'vitest';
import { toIntent } from '../../src/store/codec.js';

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

describe('toIntent', () => {
  it('reads the status and times without decoding the JSON columns', () => {
    const intent = toIntent(row({ offerings_before: 'not json', target_offerings: 'not json', customer_update: 'not json' }));
    expect([intent.id, intent.status, intent.settleAfter]).toEqual([7, 'applied', '2026-12-02T00:01:00.000Z']);
    expect(() => intent.offeringsBefore).toThrow(SyntaxError);
  });

  it('decodes them on first read, once, in the order and shape of the record (text or already parsed)', () => {
    for (const given of [row(), row({ offerings_before: [{ name: 'sg.basic', type: 'package', quantity: 1 }], customer_update: { ips: ['10.0.0.1'] } })]) {
      const intent = toIntent(given);
      expect(Object.keys(intent)).toEqual([
        'id', 'customerId', 'source', 'actor', 'action', 'requestId', 'changeId', 'supersededChangeId',
        'offeringsBefore', 'targetOfferings', 'customerUpdate', 'status', 'settleAfter', 'owner', 'createdAt', 'settledAt',
      ]);
      expect(intent.offeringsBefore).toBe(intent.offeringsBefore);
      expect({ ...intent }).toMatchObject({
        offeringsBefore: [{ name: 'sg.basic', type: 'package', quantity: 1 }],
        targetOfferings: [{ name: 'sg.silver', type: 'package', quantity: 1 }],
        customerUpdate: { ips: ['10.0.0.1'] },
      });
    }
  });
});
