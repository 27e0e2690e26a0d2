// The one table from a v3 failure to the legacy answer, for both surfaces.
import { describe, expect, it } from 'vitest';
import { WriteUncertainError, WriteUnsettledError, type WriteIntent } from '../../src/core/index.js';
import { pendingWriteAnswer, upstreamFailureAnswer } from '../../src/edge/upstream-failures.js';
import { V3Error, type V3ErrorKind } from '../../src/v3/errors.js';

const failure = (kind: V3ErrorKind, operation: string, status?: number, mayHaveLanded?: boolean) =>
  new V3Error(kind, `${operation} failed`, {
    operation,
    ...(status === undefined ? {} : { status }),
    ...(mayHaveLanded === undefined ? {} : { mayHaveLanded }),
  });

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
    ['a write refused with 503 after an attempt that went unanswered', failure('http', 'UpdateAccountOffering', 503, true), 503, 'uncertain', /may still take effect/],
    ['a write whose connection was refused: nothing sent', failure('network', 'UpdateAccountOffering', undefined, false), 503, 'upstream_error', /nothing was changed/],
    ['a write past the deadline after a refusal and an unanswered attempt', failure('deadline', 'UpdateAccountOffering', 503, true), 503, 'uncertain', /may still take effect/],
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

describe('pendingWriteAnswer', () => {
  const intent = { id: 7, customerId: 3, status: 'uncertain', settleAfter: new Date(Date.now() + 30_500).toISOString() } as WriteIntent;

  it('a write of this request whose outcome is unknown: may have been applied, a retry is safe, never "nothing was changed"', () => {
    const answer = pendingWriteAnswer(new WriteUncertainError(intent, failure('timeout', 'UpdateAccountOffering', undefined, true)))!;
    expect(answer).toMatchObject({ status: 409, outcome: 'uncertain', retryAfterSeconds: 31 });
    expect(answer.message).toMatch(/UpdateAccountOffering did not answer in time: the change may have been applied and is being confirmed/);
    expect(answer.message).toMatch(/An identical retry is safe: it answers success once the change is known to have landed; retry after 31 s/);
    expect(answer.message).not.toMatch(/nothing was changed/);
  });

  it('an earlier write of the customer not settled yet: this request changed nothing, retry later', () => {
    const answer = pendingWriteAnswer(new WriteUnsettledError(intent))!;
    expect(answer).toMatchObject({ status: 409, outcome: 'refused', retryAfterSeconds: 31 });
    expect(answer.message).toMatch(/earlier change of this user may have been applied and is being confirmed; this request sent nothing to SendGrid/);
  });

  it('anything else is not its to answer', () => {
    expect(pendingWriteAnswer(failure('timeout', 'UpdateAccountOffering'))).toBeUndefined();
    expect(pendingWriteAnswer(new Error('disk full'))).toBeUndefined();
  });
});
