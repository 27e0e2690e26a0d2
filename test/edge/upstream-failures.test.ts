// The one table from a v3 failure to the legacy answer, for both surfaces.
import { describe, expect, it } from 'vitest';
import { upstreamFailureAnswer } from '../../src/edge/upstream-failures.js';
import { V3Error, type V3ErrorKind } from '../../src/v3/errors.js';

const failure = (kind: V3ErrorKind, operation: string, status?: number) =>
  new V3Error(kind, `${operation} failed`, { operation, ...(status === undefined ? {} : { status }) });

describe('upstreamFailureAnswer', () => {
  it.each([
    ['a read answered 500', failure('http', 'GetAccountState', 500), 502, 'upstream_error', /GetAccountState answered 500; nothing was changed, the request is safe to retry/],
    ['a read answered 503', failure('http', 'ListAccountOffering', 503), 503, 'upstream_error', /safe to retry/],
    ['a read timing out', failure('timeout', 'ListAccountOffering'), 504, 'upstream_error', /failed \(timeout\); nothing was changed/],
    ['v3 unreachable', failure('network', 'GetAccountState'), 503, 'upstream_error', /failed \(network\); nothing was changed/],
    ['a write v3 refused with 500', failure('http', 'UpdateAccountOffering', 500), 502, 'upstream_error', /answered 500; nothing was changed/],
    ['a write timing out', failure('timeout', 'UpdateAccountOffering'), 504, 'uncertain', /the change may still take effect: check the account before retrying/],
    ['a write past the deadline with no answer', failure('deadline', 'UpdateAccountOffering'), 504, 'uncertain', /may still take effect/],
    ['a write whose connection broke', failure('network', 'UpdateAccountOffering'), 503, 'uncertain', /may still take effect/],
    ['a write answered with a body we cannot read', failure('invalid-response', 'UpdateAccountOffering', 200), 502, 'uncertain', /may still take effect/],
    ['a deadline after the write was refused with 503', failure('deadline', 'UpdateAccountOffering', 503), 503, 'upstream_error', /nothing was changed/],
    ['the key refused (401)', failure('http', 'GetAccountState', 401), 502, 'upstream_error', /answered 401: the bridge's v3 key for this reseller was refused; the operator must fix it$/],
    ['the key forbidden (403)', failure('http', 'UpdateAccountOffering', 403), 502, 'upstream_error', /answered 403: the bridge's v3 key for this reseller was refused; the operator must fix it$/],
  ])('%s', (_name, error, status, outcome, message) => {
    const answer = upstreamFailureAnswer(error)!;
    expect(answer).toMatchObject({ status, outcome });
    expect(answer.message).toMatch(message);
  });

  it('leaves anything that is not a v3 failure to the caller', () => {
    expect(upstreamFailureAnswer(new Error('disk full'))).toBeUndefined();
  });
});
