// The write-ahead intent of every offerings write (DESIGN.md §3 and §7, README "Uncertain
// writes"), private to core. Before the first PUT attempt one transaction records the intent and
// takes the customer out of reach of other writers; v3's success completes it with the change's
// record; a refusal of every attempt abandons it; an attempt sent and never answered leaves it
// `uncertain` until a grace period has passed, after which reading v3 back settles it. An intent
// left `open` by a dead process becomes settleable at its deadline plus the grace period, or one
// grace period after another writer (or a restarted bridge) finds it under the customer's lock.
import { sameOfferings } from '../rules/account.js';
import { WriteUnsettledError, type AuditInput, type IntentCompletion, type NewWriteIntent, type WriteIntent } from '../store/store.js';
import type { V3Api } from '../v3/api.js';
import { isV3Error, type V3Error } from '../v3/errors.js';
import type { Offering } from '../v3/schemas.js';
import { isoInstant } from '../rules/instant.js';
import type { CoreDeps } from './deps.js';

/**
 * How long after the bridge stopped waiting an abandoned attempt may still land. The v3 client
 * gives an attempt 10 s for its answer's headers and 10 s per body stall, and a request v3 has
 * received may still be processed after the client gave up on it; 60 s is several times the
 * longest attempt, so no attempt of a write is still in v3's hands when its intent is settled.
 */
export const DEFAULT_WRITE_GRACE_MS = 60_000;
/** Failed settlements after which a pass leaves the rest to the next one. */
const MAX_FAILED_SETTLEMENTS = 3;
/** How long the read-back right after an unanswered write may take, even past the request's deadline. */
const READ_BACK_BUDGET_MS = 5_000;

export const writeGraceMs = (deps: CoreDeps): number => deps.writeGraceMs ?? DEFAULT_WRITE_GRACE_MS;
const ownerOf = (deps: CoreDeps): string => deps.owner ?? `pid ${process.pid}`;

/**
 * The write was sent and its outcome is not known: it may have been applied, and is settled by a
 * read-back once `intent.settleAfter` has passed. A retry of the same change is safe.
 */
export class WriteUncertainError extends Error {
  constructor(
    readonly intent: WriteIntent,
    override readonly cause: V3Error,
  ) {
    super(`${cause.message}; the write may have been applied and is settled after ${intent.settleAfter}`);
    this.name = 'WriteUncertainError';
  }
}

export type IntentBasis = Omit<NewWriteIntent, 'offeringsBefore' | 'targetOfferings' | 'settleAfter' | 'owner'>;

const isUnsettled = (intent: WriteIntent) => intent.status === 'open' || intent.status === 'uncertain';
const later = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);

/**
 * PUTs `target` under an intent (see the module comment): a new one, or `adopted`, the unsettled
 * intent of an earlier attempt of the same scheduled change (its attempts carry this same body).
 * Resolves with v3's offerings when the write is known to have landed (answered, or found by the
 * read-back right after an unanswered attempt), and the intent to complete with the change's
 * record: until its `settleAfter` an unanswered attempt may still land, so the customer's next
 * write waits. Throws the v3 error when nothing can land (intent abandoned), WriteUncertainError
 * when something may.
 */
export async function putUnderIntent(
  deps: CoreDeps,
  v3: V3Api,
  accountId: string,
  basis: IntentBasis,
  before: Offering[],
  target: Offering[],
  deadline: number,
  adopted?: WriteIntent,
): Promise<{ after: Offering[]; intent: IntentCompletion }> {
  const intent =
    adopted ??
    (await deps.store.openIntent({
      ...basis,
      offeringsBefore: before,
      targetOfferings: target,
      settleAfter: isoInstant(deadline + writeGraceMs(deps)),
      owner: ownerOf(deps),
    }));
  // Until when an attempt may still land: the adopted intent's, then this call's unanswered attempts'.
  let quietUntil = adopted ? adopted.settleAfter : isoInstant(Date.now());
  const onUnanswered = () => {
    quietUntil = later(quietUntil, isoInstant(Date.now() + writeGraceMs(deps)));
  };
  try {
    const after = await v3.putOfferings(accountId, target, { deadline, onUnanswered });
    return { after, intent: { id: intent.id, settleAfter: quietUntil } };
  } catch (error) {
    // Not a v3 failure (a bug, an abort): the intent stays open and settles on its own, as after a crash.
    if (!isV3Error(error)) throw error;
    const audit = (outcome: string, detail: string): AuditInput => ({
      actor: basis.actor,
      action: basis.action,
      customerId: basis.customerId,
      changeId: basis.changeId ?? undefined,
      outcome,
      detail: `${detail} (write intent ${intent.id})`,
    });
    if (error.details.mayHaveLanded === false && !adopted) {
      await deps.store.settleIntent(intent.id, {
        status: 'abandoned',
        audit: audit('abandoned', `v3 refused the write: ${error.message}`),
        settleAfter: quietUntil,
      });
      throw error;
    }
    const readBack = await v3
      .getOfferings(accountId, { deadline: Math.max(deadline, Date.now() + READ_BACK_BUDGET_MS) })
      .catch(() => undefined);
    if (readBack && sameOfferings(readBack, target)) {
      deps.logger.warn({ accountId, intentId: intent.id }, 'offerings PUT went unanswered but was applied');
      return { after: readBack, intent: { id: intent.id, settleAfter: quietUntil } };
    }
    const settleAfter = later(quietUntil, isoInstant(Date.now() + (error.details.mayHaveLanded ? writeGraceMs(deps) : 0)));
    await deps.store.markIntentUncertain(intent.id, settleAfter, audit('uncertain', `the write may have been applied: ${error.message}; settled after ${settleAfter}`));
    throw new WriteUncertainError({ ...intent, status: 'uncertain', settleAfter }, error);
  }
}

export type Settled = 'applied' | 'abandoned';

/**
 * Settles an unsettled intent by reading v3 back: the target in place → applied (an immediate
 * write recorded as its success would have been), else abandoned; audited either way. Undefined
 * when someone settled it first. A failed read throws, and leaves it for the next pass.
 * Call under the customer's lock, once `settleAfter` has passed.
 */
export async function settleIntent(deps: CoreDeps, intent: WriteIntent): Promise<Settled | undefined> {
  const customer = await deps.store.findCustomer({ id: intent.customerId });
  const reseller = customer && deps.mappings.resellerByUser.get(customer.reseller);
  if (!customer || !reseller) {
    // No key to read with: nothing this bridge can confirm. The customer is never written again.
    const audit = settlementAudit(intent, 'abandoned', undefined, 'the customer left the mappings: not confirmed');
    return (await deps.store.settleIntent(intent.id, { status: 'abandoned', audit })) ? 'abandoned' : undefined;
  }
  const readBack = await deps.v3For(reseller).getOfferings(customer.accountId, { deadline: Date.now() + READ_BACK_BUDGET_MS });
  const status: Settled = sameOfferings(readBack, intent.targetOfferings) ? 'applied' : 'abandoned';
  const detail =
    status === 'applied'
      ? intent.source === 'scheduled'
        ? 'write confirmed by read-back; the change is finished by its next attempt'
        : 'confirmed by read-back'
      : 'not found by read-back: the write did not land';
  const settled = await deps.store.settleIntent(intent.id, { status, audit: settlementAudit(intent, status, readBack, detail) });
  if (settled) deps.logger.info({ intentId: intent.id, customerId: intent.customerId, status }, 'write intent settled');
  return settled ? status : undefined;
}

function settlementAudit(intent: WriteIntent, status: Settled, readBack: Offering[] | undefined, detail: string): AuditInput {
  // A landed scheduled write is not yet the change's `applied`: that is its finish's to record.
  const outcome = status === 'abandoned' ? 'abandoned' : intent.source === 'scheduled' ? 'landed' : 'applied';
  return {
    actor: intent.actor,
    action: intent.action,
    customerId: intent.customerId,
    changeId: intent.changeId ?? undefined,
    outcome,
    offeringsBefore: intent.offeringsBefore,
    ...(readBack ? { offeringsAfter: readBack } : {}),
    detail: `${detail} (write intent ${intent.id})`,
  };
}

/** What stands before a new write of the customer. */
export type WriteGate =
  /** `settled`: the gate settled this earlier intent itself, which may have superseded the caller's own change. */
  | { kind: 'clear'; settled?: WriteIntent }
  /** An earlier attempt of the same scheduled change left this intent: its next attempt carries the same body, and adopts it. */
  | { kind: 'adopt'; intent: WriteIntent }
  /** A write whose attempts may still land, until `intent.settleAfter`. */
  | { kind: 'wait'; intent: WriteIntent };

/**
 * Under the customer's lock, before a write is computed: settles the customer's unsettled intent
 * if its settle time has passed. An `open` one seen under the lock has no writer at work any more
 * (it died, or broke off before recording): what it sent lands within the grace period from now,
 * so its settle time is brought forward to that. A settled write whose unanswered attempts may
 * still land holds the next write back too. `known`: the customer's latest intent, when the
 * caller read it under this same hold (a scheduled attempt reads it with its change).
 */
export async function gateWrite(
  deps: CoreDeps,
  customerId: number,
  ownChangeId?: number,
  known?: { latest: WriteIntent | undefined },
): Promise<WriteGate> {
  // One read, not two: an unsettled intent is always the customer's latest, since no intent is
  // opened while another is unsettled (the store allows one) and none is ever deleted.
  const latest = known ? known.latest : await deps.store.latestIntentOf(customerId);
  let intent = latest && isUnsettled(latest) ? latest : undefined;
  if (!intent) {
    // Its own earlier write is no obstacle to a scheduled change: it sends the same body.
    const own = ownChangeId !== undefined && latest?.changeId === ownChangeId;
    const quiet = latest && !own && Date.parse(latest.settleAfter) > Date.now();
    return quiet ? { kind: 'wait', intent: latest } : { kind: 'clear' };
  }
  const broughtForward = broughtForwardOf(deps, intent);
  if (ownChangeId !== undefined && intent.changeId === ownChangeId)
    return { kind: 'adopt', intent: intent.status === 'open' ? { ...intent, settleAfter: broughtForward } : intent };
  intent = await writerGone(deps, intent, broughtForward);
  if (Date.parse(intent.settleAfter) > Date.now()) return { kind: 'wait', intent };
  await settleIntent(deps, intent);
  return { kind: 'clear', settled: intent };
}

/** When an unsettled intent whose writer is gone can settle: its own settle time, or one grace period from now if sooner. */
function broughtForwardOf(deps: CoreDeps, intent: WriteIntent): string {
  return isoInstant(Math.min(Date.parse(intent.settleAfter), Date.now() + writeGraceMs(deps)));
}

/**
 * An `open` intent seen under its customer's lock: no writer is at work on it any more (it died,
 * or broke off before recording), so what it sent lands within the grace period from now. It
 * becomes `uncertain`, settleable then (or at its own settle time, if sooner), audited.
 */
async function writerGone(deps: CoreDeps, intent: WriteIntent, broughtForward: string): Promise<WriteIntent> {
  if (intent.status !== 'open') return intent;
  const settleAfter = broughtForward;
  const detail = `its writer stopped before recording the outcome; settled after ${settleAfter} (write intent ${intent.id})`;
  const audit: AuditInput = {
    actor: intent.actor,
    action: intent.action,
    customerId: intent.customerId,
    changeId: intent.changeId ?? undefined,
    outcome: 'uncertain',
    detail,
  };
  return (await deps.store.markIntentUncertain(intent.id, settleAfter, audit)) ? { ...intent, status: 'uncertain', settleAfter } : intent;
}

/** gateWrite, for a caller that answers "retry later" (WriteUnsettledError) rather than waiting. */
export async function clearTheWay(deps: CoreDeps, customerId: number): Promise<void> {
  const gate = await gateWrite(deps, customerId);
  if (gate.kind === 'wait') throw new WriteUnsettledError(gate.intent);
}

/**
 * Settles every intent whose settle time has passed (start-up, and each scheduler pass): each
 * under its customer's lock, re-read there, so two instances never both settle one.
 */
export async function settleDueIntents(
  deps: CoreDeps,
  options: { limit?: number; recover?: boolean } = {},
): Promise<{ settled: number; failed: number }> {
  // `recover` (at start-up): every unsettled intent, so those a dead process left `open` start
  // their grace period now rather than at their own deadline.
  const due = options.recover
    ? await deps.store.listIntents({ unsettled: true })
    : await deps.store.settleableIntents(new Date(), options.limit ?? 100);
  let settled = 0;
  let failed = 0;
  for (const found of due) {
    try {
      const result = await deps.store.withCustomerLock(found.customerId, async () => {
        let intent = await deps.store.unsettledIntentOf(found.customerId);
        if (!intent || intent.id !== found.id) return undefined;
        intent = await writerGone(deps, intent, broughtForwardOf(deps, intent));
        if (Date.parse(intent.settleAfter) > Date.now()) return undefined;
        return settleIntent(deps, intent);
      });
      if (result) settled++;
    } catch (error) {
      failed++;
      deps.logger.warn({ err: error, intentId: found.id }, 'write intent not settled yet; retried by the next pass');
      // v3 is likely down: the rest wait for the next pass rather than hold this one up.
      if (failed >= MAX_FAILED_SETTLEMENTS) break;
    }
  }
  return { settled, failed };
}
