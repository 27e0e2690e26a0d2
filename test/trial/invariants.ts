// The crash trial's invariants, as pure functions over what a run observed: the requests the
// trial sent and how each was answered, the offerings PUTs the simulator received, the store's
// changes and audit log, and every customer's offerings (seed and final). Offerings are compared
// as sorted `name:quantity` lists.

export type Answer = 'success' | 'error' | 'uncertain' | 'none';
export type Kind = 'immediate' | 'directory' | 'scheduled' | 'delete';

export interface SentRequest {
  n: number;
  /** Sent as X-Request-Id, which the bridge keeps with the request's write intent. */
  requestId: string;
  kind: Kind;
  task: string;
  username: string;
  /** The v3 package offering the request aims at (immediate, directory, scheduled). */
  targetOffering?: string;
  /** The legacy package name asked for (scheduled: the change's target). */
  targetPackage?: string;
  /** A repeat of an earlier request, as a client retries. */
  retry?: boolean;
  sentAt: number;
  /** When the answer arrived, or when the connection died (the bridge was killed). */
  endedAt: number;
  answer: Answer;
  status?: number;
  body?: string;
}

export interface ReceivedPut {
  accountId: string;
  at: number;
  offerings: string[];
}

export interface ChangeRow {
  id: number;
  username: string;
  targetPackage: string;
  status: string;
  createdAt: number;
}

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  username: string;
  changeId?: number | undefined;
  outcome: string;
  before?: string[] | undefined;
  after?: string[] | undefined;
}

export interface IntentRow {
  id: number;
  requestId: string | null;
  status: string;
}

export interface CustomerState {
  username: string;
  accountId: string;
  seed: string[];
  final: string[];
}

export interface Observed {
  sent: SentRequest[];
  puts: ReceivedPut[];
  changes: ChangeRow[];
  audit: AuditRow[];
  customers: CustomerState[];
  /** Write-ahead intents not settled at the end (empty where the store keeps none). */
  unsettled: string[];
  /** Every write intent, settled or not. */
  intents: IntentRow[];
  /** The v3 package offerings, to tell a package in a list of offerings. */
  packageOfferings: ReadonlySet<string>;
}

export const INVARIANTS = {
  lost: 'no accepted change lost',
  twice: 'none applied twice in effect',
  reverted: 'no immediate change reverted by an older scheduled one',
  stuck: 'nothing left applying or uncertain',
  mismatch: "v3's final offerings equal the audit log's last recorded offerings",
  unrecorded: 'every offerings write that landed is in the audit log',
  truthful: 'no answer says nothing was changed when its write landed',
} as const;
export type Invariant = keyof typeof INVARIANTS;

export interface Violation {
  invariant: Invariant;
  username: string;
  detail: string;
}

/** Slack for comparing instants of three processes on one clock (ms). */
const SLACK_MS = 5;
const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const show = (offerings: readonly string[] | undefined) => (offerings ? `[${offerings.join(', ')}]` : '(none)');
/** A scheduled change's write in v3: applied by its attempt, or found landed when its intent settled. */
const SCHEDULED_LANDING = new Set(['applied', 'landed']);
const STILL_OPEN = new Set(['pending', 'applying', 'failed']);
/** Outcomes of a later accepted change, which can supersede or cancel an earlier one. */
const ACCEPTED = new Set(['applied', 'noop', 'scheduled', 'replaced']);

function packageOf(offerings: readonly string[] | undefined, packages: ReadonlySet<string>): string | undefined {
  return offerings?.map((o) => o.slice(0, o.lastIndexOf(':'))).find((name) => packages.has(name));
}

export function checkInvariants(observed: Observed): Violation[] {
  return [...lost(observed), ...twice(observed), ...reverted(observed), ...stuck(observed), ...recorded(observed), ...truthful(observed)];
}

/** What an answer says when it claims no write of its own can land. */
const NOTHING_CHANGED = /nothing was changed|sent nothing/i;

/** The intents the bridge kept for a request tell whether its write landed; a success or a "nothing changed" must agree. */
function truthful({ sent, intents }: Observed): Violation[] {
  const found: Violation[] = [];
  for (const r of sent) {
    const mine = intents.filter((i) => i.requestId === r.requestId);
    if (r.answer === 'error' && NOTHING_CHANGED.test(r.body ?? '') && mine.some((i) => i.status === 'applied'))
      found.push({ invariant: 'truthful', username: r.username, detail: `request #${r.n} ${r.task} was told ${r.status} ${r.body}, its write (intent ${mine.map((i) => i.id).join(', ')}) landed` });
    if (r.answer === 'success' && mine.length > 0 && !mine.some((i) => i.status === 'applied'))
      found.push({ invariant: 'lost', username: r.username, detail: `request #${r.n} ${r.task} answered success, its write (intent ${mine.map((i) => i.id).join(', ')}) ${mine.map((i) => i.status).join(', ')}` });
  }
  return found;
}

/** Accepted changes: every success is in the audit log or the store, and every stored change ended applied or was overtaken. */
function lost({ sent, changes, audit, packageOfferings }: Observed): Violation[] {
  const found: Violation[] = [];
  for (const r of sent) {
    if (r.answer !== 'success') continue;
    if (r.kind === 'immediate' || r.kind === 'directory') {
      const record = audit.find(
        (a) =>
          a.username === r.username &&
          a.actor !== 'scheduler' &&
          a.after !== undefined &&
          packageOf(a.after, packageOfferings) === r.targetOffering &&
          a.at >= r.sentAt - SLACK_MS &&
          a.at <= r.endedAt + SLACK_MS,
      );
      if (!record) found.push({ invariant: 'lost', username: r.username, detail: `request #${r.n} ${r.task} answered success, no audit record of ${r.targetOffering}` });
    } else if (r.kind === 'scheduled') {
      const stored = changes.filter((c) => c.username === r.username && c.targetPackage === r.targetPackage && c.createdAt <= r.endedAt + SLACK_MS).at(-1);
      if (!stored) found.push({ invariant: 'lost', username: r.username, detail: `request #${r.n} ${r.task} answered success, no stored change` });
    }
  }
  for (const c of changes) {
    if (STILL_OPEN.has(c.status)) {
      found.push({ invariant: 'lost', username: c.username, detail: `change ${c.id} (${c.targetPackage}) ended ${c.status}` });
    } else if (c.status === 'cancelled') {
      if (!audit.some((a) => a.changeId === c.id && a.outcome === 'cancelled'))
        found.push({ invariant: 'lost', username: c.username, detail: `change ${c.id} (${c.targetPackage}) cancelled with no cancellation in the audit log` });
    } else if (c.status === 'superseded') {
      const overtaken = audit.some((a) => a.username === c.username && a.changeId !== c.id && a.at >= c.createdAt - SLACK_MS && ACCEPTED.has(a.outcome) && a.actor !== 'scheduler');
      if (!overtaken) found.push({ invariant: 'lost', username: c.username, detail: `change ${c.id} (${c.targetPackage}) superseded with no later accepted change in the audit log` });
    }
  }
  return found;
}

/** A stored change reaches `applied` once. */
function twice({ changes, audit }: Observed): Violation[] {
  const found: Violation[] = [];
  for (const c of changes) {
    const applied = audit.filter((a) => a.changeId === c.id && a.actor === 'scheduler' && (a.outcome === 'applied' || a.outcome === 'noop'));
    if (applied.length > 1)
      found.push({ invariant: 'twice', username: c.username, detail: `change ${c.id} applied ${applied.length} times (audit ${applied.map((a) => `#${a.id}`).join(', ')})` });
  }
  return found;
}

/**
 * An immediate or directory change whose PUT reached v3 (or that was answered success) is
 * not followed by the scheduler applying a change scheduled before it was sent.
 */
function reverted({ sent, puts, changes, audit, customers, packageOfferings }: Observed): Violation[] {
  const found: Violation[] = [];
  const accountOf = new Map(customers.map((c) => [c.username, c.accountId]));
  const changeById = new Map(changes.map((c) => [c.id, c]));
  for (const r of sent) {
    if ((r.kind !== 'immediate' && r.kind !== 'directory') || !r.targetOffering) continue;
    const put = puts.find(
      (p) => p.accountId === accountOf.get(r.username) && p.at >= r.sentAt - SLACK_MS && p.at <= r.endedAt + SLACK_MS && packageOf(p.offerings, packageOfferings) === r.targetOffering,
    );
    const landedAt = put ? put.at : r.answer === 'success' ? r.endedAt : undefined;
    if (landedAt === undefined) continue;
    for (const a of audit) {
      if (a.username !== r.username || a.actor !== 'scheduler' || !SCHEDULED_LANDING.has(a.outcome) || a.at <= landedAt) continue;
      const change = a.changeId === undefined ? undefined : changeById.get(a.changeId);
      if (!change || change.createdAt >= r.sentAt || packageOf(a.after, packageOfferings) === r.targetOffering) continue;
      found.push({
        invariant: 'reverted',
        username: r.username,
        detail: `request #${r.n} ${r.task} (${r.answer}) reached v3 at ${new Date(landedAt).toISOString()}; change ${change.id} (${change.targetPackage}), scheduled before it, applied after it (audit #${a.id})`,
      });
    }
  }
  return found;
}

function stuck({ changes, unsettled }: Observed): Violation[] {
  return [
    ...changes.filter((c) => c.status === 'applying').map((c) => ({ invariant: 'stuck' as const, username: c.username, detail: `change ${c.id} left applying` })),
    ...unsettled.map((u) => ({ invariant: 'stuck' as const, username: u.split(' ')[0] ?? '', detail: `intent left unsettled: ${u}` })),
  ];
}

/**
 * The audit log is a chain of each customer's offerings from the seed: every record starts
 * from the one before (or finds its own target in place: its earlier attempt landed), every
 * state a PUT put in v3 is one the log recorded, and the last one is what v3 holds.
 */
function recorded({ audit, puts, customers }: Observed): Violation[] {
  const found: Violation[] = [];
  for (const customer of customers) {
    let last = customer.seed;
    const states = [customer.seed.join(',')];
    for (const a of audit) {
      if (a.username !== customer.username || a.after === undefined) continue;
      if (a.before !== undefined && !same(a.before, last) && !same(a.before, a.after))
        found.push({
          invariant: 'unrecorded',
          username: customer.username,
          detail: `audit #${a.id} (${a.actor} ${a.action}) found ${show(a.before)} in v3, the log's last record ${show(last)}`,
        });
      last = a.after;
      states.push(last.join(','));
    }
    for (const put of puts)
      if (put.accountId === customer.accountId && !states.includes(put.offerings.join(',')))
        found.push({ invariant: 'unrecorded', username: customer.username, detail: `a PUT received at ${new Date(put.at).toISOString()} set ${show(put.offerings)}, never recorded` });
    if (!same(customer.final, last))
      found.push({ invariant: 'mismatch', username: customer.username, detail: `v3 holds ${show(customer.final)}, the audit log's last record ${show(last)}` });
  }
  return found;
}
