// What a legacy request becomes in v3, for the people rewriting an integration: the v3 calls
// the bridge makes for it (method, path, JSON body, which read feeds which write), what it
// decides from the reads, and what it keeps itself because v3 cannot. A pure function of the
// request and the mappings: no store, no v3, no clock. Passwords are not checked; the stage-1
// rules are the bridge's own (rules/account.ts), so a request the bridge refuses before any v3
// call is explained as that refusal.
import type { CustomerMapping, DirectoryMapping, Mappings, ResellerMapping } from '../../config/mappings.js';
import { digestsEqual, hashToken } from '../../core/credentials.js';
import { unknownUserProblem as userProblem, type Offering } from '../../core/index.js';
import { targetPackage, validateRequest, type ChangeKind, type ChangeRequest } from '../../rules/account.js';
import { parseDirectoryParams, tokenFromHeader, type DirectoryChange } from '../directory/params.js';
import { normaliseParams, parseFormPairs, type LegacyParams } from '../legacy/index.js';
import type { LegacyRequest } from './legacy-request.js';
import { v3Call, type V3Call } from './v3-calls.js';

export type Phase = 'now' | 'billing_day';

export interface ExplainedCall extends V3Call {
  /** 1-based, in the order the bridge sends them (reads of one phase go out together). */
  step: number;
  phase: Phase;
  /** Steps whose answers this call needs. */
  uses: number[];
  /** Why the bridge makes the call. */
  purpose: string;
  /**
   * A write whose body depends on a read: the add-ons of step `addonsFrom` follow the package
   * in `body`, except `dropAddons`; `setAddon` replaces (or adds) that add-on.
   */
  template?: { addonsFrom: number; dropAddons: string[]; setAddon?: Offering };
}

export interface Explanation {
  surface: 'apiv2' | 'directory';
  call: string | undefined;
  task: string | undefined;
  format: 'json' | 'xml';
  reseller: string | undefined;
  /** The environment variable holding the reseller's v3 key (its mapping's `api_key_env`). */
  keyVariable: string;
  customer: { name: string; accountId: string } | undefined;
  /** What the bridge answers before any v3 call when it refuses the request (`calls` is then empty). */
  refusal?: { status: number; errors: string[] };
  calls: ExplainedCall[];
  /** What the bridge decides from the reads. */
  checks: string[];
  /** What the bridge keeps that v3 has no place for. */
  bridgeKeeps: string[];
  notes: string[];
}

export interface ExplainOptions {
  /** The reseller, when the request authenticates with a v3 key (explain does not read keys). */
  reseller?: string;
}

const CALL = /^\/apiv2\/reseller\.(account|pending)(?:\.(json|xml))?$/;
const DIRECTORY = /^\/v1\/partners\/accounts\/([^/]+)\/change_package$/;
const ACCOUNT_TASKS = new Set(['immediate_upgrade', 'immediate_downgrade', 'immediate_close', 'scheduled_upgrade', 'scheduled_downgrade', 'scheduled_close', 'overview']);
const PENDING_TASKS = new Set(['list', 'delete']);
const DEFAULT_KEY_VARIABLE = 'SENDGRID_API_KEY';

export function explainRequest(request: LegacyRequest, mappings: Mappings, options: ExplainOptions = {}): Explanation {
  const directory = DIRECTORY.exec(request.path);
  if (directory) return explainDirectory(request, decodeURIComponent(directory[1]!), mappings);
  return explainApiv2(request, mappings, options);
}

function blank(surface: Explanation['surface'], call: string | undefined, format: Explanation['format']): Explanation {
  return { surface, call, task: undefined, format, reseller: undefined, keyVariable: DEFAULT_KEY_VARIABLE, customer: undefined, calls: [], checks: [], bridgeKeeps: [], notes: [] };
}

const refuse = (explanation: Explanation, status: number, errors: string[]): Explanation => ({ ...explanation, refusal: { status, errors } });

// ── /apiv2/reseller.account and reseller.pending ─────────────────────────────────────────────

function explainApiv2(request: LegacyRequest, mappings: Mappings, options: ExplainOptions): Explanation {
  const params = normaliseParams(request.rawQuery, request.body);
  const task = params.get('task');
  const match = request.path === '' ? undefined : CALL.exec(request.path);
  // A bare query string names no module: its task does.
  const module = match?.[1] ?? (request.path === '' ? (task !== undefined && PENDING_TASKS.has(task) ? 'pending' : 'account') : undefined);
  const format = match?.[2] === 'xml' ? 'xml' : 'json';
  const base = blank('apiv2', module && `reseller.${module}`, format);
  if (!module || (request.method !== 'GET' && request.method !== 'POST')) return refuse(base, 404, ['Not found']);

  const reseller = resellerOf(request, params, mappings, options);
  if (!reseller.ok) return refuse(base, 401, [reseller.problem]);
  const explanation: Explanation = { ...base, task, reseller: reseller.mapping.api_user, keyVariable: reseller.mapping.api_key_env };
  const tasks = module === 'account' ? ACCOUNT_TASKS : PENDING_TASKS;
  if (task === undefined || !tasks.has(task)) return refuse(explanation, 404, [`Not found: reseller.${module} has no task "${task ?? ''}" (${[...tasks].join(', ')})`]);
  if (params.malformed.length) return refuse(explanation, 400, params.malformed.map((name) => `${name} must be a single value`));
  return explainTask(explanation, module, task, params, reseller.mapping, mappings);
}

/** An authenticated apiv2 task (the dry run starts here: the edge has authenticated already). */
export function explainApiv2Task(input: {
  module: 'account' | 'pending';
  task: string;
  format: 'json' | 'xml';
  params: LegacyParams;
  reseller: ResellerMapping;
  mappings: Mappings;
}): Explanation {
  const { module, task, reseller } = input;
  const explanation: Explanation = { ...blank('apiv2', `reseller.${module}`, input.format), task, reseller: reseller.api_user, keyVariable: reseller.api_key_env };
  return explainTask(explanation, module, task, input.params, reseller, input.mappings);
}

function explainTask(explanation: Explanation, module: string, task: string, params: LegacyParams, reseller: ResellerMapping, mappings: Mappings): Explanation {
  if (module === 'pending') return explainPending(explanation, task, params, reseller, mappings);
  if (task === 'overview') return explainOverview(explanation, params, reseller, mappings);
  const [timing, kind] = task.split('_') as ['immediate' | 'scheduled', 'upgrade' | 'downgrade' | 'close'];
  return explainChange(explanation, timing, kind, params, reseller, mappings);
}

type ResellerLookup = { ok: true; mapping: ResellerMapping } | { ok: false; problem: string };

/** Who the bridge would authenticate; the password or key itself is never checked nor shown. */
function resellerOf(request: LegacyRequest, params: LegacyParams, mappings: Mappings, options: ExplainOptions): ResellerLookup {
  const apiUser = params.get('api_user');
  const bearer = !params.has('api_user') && !params.has('api_key') && /^Bearer\s+\S+\s*$/i.test(request.headers.authorization ?? '');
  if (apiUser !== undefined && apiUser !== 'apikey') {
    const mapping = mappings.resellerByUser.get(apiUser);
    if (!mapping) return { ok: false, problem: `Permission denied: no reseller "${apiUser}" in the mappings` };
    if (!params.get('api_key')) return { ok: false, problem: 'Permission denied: api_key is missing' };
    return { ok: true, mapping };
  }
  if (!bearer && !(apiUser === 'apikey' && params.get('api_key')))
    return { ok: false, problem: 'Permission denied: send api_user and api_key, or a v3 key (api_user=apikey or Authorization: Bearer)' };
  // A v3 key names its reseller only to the bridge, which holds the keys: ask, or go by the customer.
  if (options.reseller !== undefined) {
    const mapping = mappings.resellerByUser.get(options.reseller);
    return mapping ? { ok: true, mapping } : { ok: false, problem: `no reseller "${options.reseller}" in the mappings` };
  }
  const user = params.get('user') ?? params.get('username');
  const owners = new Set(mappings.customers.filter((c) => user !== undefined && c.username === user).map((c) => c.reseller));
  if (owners.size === 1) return { ok: true, mapping: mappings.resellerByUser.get([...owners][0]!)! };
  return { ok: false, problem: 'the request authenticates with a v3 key, which explain cannot read: name the reseller (--reseller)' };
}

function customerOf(reseller: ResellerMapping, username: string | undefined, mappings: Mappings): CustomerMapping | undefined {
  return username ? mappings.customers.find((c) => c.reseller === reseller.api_user && c.username === username) : undefined;
}

const named = (customer: CustomerMapping) => ({ name: customer.username ?? customer.business_uid ?? '', accountId: customer.account_id });

function explainChange(
  explanation: Explanation,
  timing: 'immediate' | 'scheduled',
  kind: 'upgrade' | 'downgrade' | 'close',
  params: LegacyParams,
  reseller: ResellerMapping,
  mappings: Mappings,
): Explanation {
  const request: ChangeRequest = {
    kind,
    packageName: kind === 'close' ? undefined : params.get('package'),
    ips: params.list('ip'),
    ipGroups: params.list('ip_group'),
  };
  const username = params.get('user');
  const customer = customerOf(reseller, username, mappings);
  // The IPs other customers hold are in the bridge's store: explain checks everything else.
  const problems = validateRequest(request, reseller, mappings, new Set());
  if (!customer) return refuse(explanation, 400, [userProblem(username), ...problems]);
  if (problems.length) return refuse({ ...explanation, customer: named(customer) }, 400, problems);

  const change = changeCalls(request, customer.account_id, mappings, 'now', 1);
  const keeps = keptWithChange(request, mappings);
  if (timing === 'immediate') {
    return {
      ...explanation,
      customer: named(customer),
      calls: change.calls,
      checks: change.checks,
      bridgeKeeps: [...keeps, 'an audit record of the change, with the offerings before and after', "the customer's pending scheduled change, if any, is superseded"],
      notes: [
        "The bridge holds the customer's lock (shared with its scheduler) from the reads to the record.",
        ...change.notes,
      ],
    };
  }
  const validation = readCalls(customer.account_id, 'now', 1, 'validate the request now, against the offerings of the moment; nothing is written to v3');
  const later = changeCalls(request, customer.account_id, mappings, 'billing_day', validation.length + 1);
  return {
    ...explanation,
    customer: named(customer),
    calls: [...validation, ...later.calls],
    checks: change.checks,
    bridgeKeeps: [
      `the scheduled change itself, which v3 cannot hold: stored as pending, effective at 00:00 UTC on the customer's next billing day (${billingDayText(customer)}), listed by reseller.pending, cancelled by reseller.pending delete, replaced by a later scheduled_* and superseded by an immediate_* of the customer`,
      ...keeps,
      'the audit records of the scheduling and of every attempt to apply it',
    ],
    notes: [
      `Steps 1-${validation.length} run now; steps ${validation.length + 1}-${validation.length + later.calls.length} run when the bridge's scheduler applies the change, against v3's offerings of that moment.`,
      'A failure when applying it is retried (5xx, 429, timeouts) or leaves the change failed with its reason (a 400, the account not activated, the rank rule no longer met).',
      ...later.notes,
    ],
  };
}

function billingDayText(customer: CustomerMapping): string {
  return customer.billing_day !== undefined
    ? `day ${customer.billing_day} of the month`
    : "the day of month of the v3 account's created_at, which the bridge reads once by paging GET /v3/partners/accounts and stores";
}

function readCalls(accountId: string, phase: Phase, first: number, purpose: string): ExplainedCall[] {
  return [
    { step: first, phase, uses: [], ...v3Call('GetAccountState', accountId), purpose: `${purpose}: the state, which must be activated` },
    { step: first + 1, phase, uses: [], ...v3Call('ListAccountOffering', accountId), purpose: `${purpose}: the current package and add-ons` },
  ];
}

/** GET state + GET offerings, then the PUT built from the offerings read. */
function changeCalls(request: ChangeRequest, accountId: string, mappings: Mappings, phase: Phase, first: number) {
  const to = targetPackage(request, mappings)!; // validateRequest passed
  const ipAddon = mappings.addons.find((a) => a.dedicated_ip);
  const dropAddons = request.kind === 'close' ? mappings.addons.filter((a) => a.drop_on_close).map((a) => a.offering) : [];
  const setAddon: Offering | undefined =
    ipAddon && request.ips.length > 0 ? { name: ipAddon.offering, type: 'addon', quantity: request.ips.length } : undefined;
  const packageOffering: Offering = { name: to.offering, type: 'package', quantity: 1 };
  const offeringsStep = first + 1;
  const addonsText = [
    dropAddons.length ? `every add-on of step ${offeringsStep} except ${dropAddons.join(', ')}` : `every add-on of step ${offeringsStep}`,
    setAddon ? `with ${setAddon.name} at quantity ${setAddon.quantity} (one per ip[])` : '',
  ].filter(Boolean).join(', ');
  const calls: ExplainedCall[] = [
    ...readCalls(accountId, phase, first, 'read'),
    {
      step: first + 2,
      phase,
      uses: [offeringsStep],
      ...v3Call('UpdateAccountOffering', accountId, { offerings: [packageOffering] }),
      purpose: `replace the offerings (a full replacement): the package ${to.offering} (${to.name}) and ${addonsText}`,
      template: { addonsFrom: offeringsStep, dropAddons, ...(setAddon ? { setAddon } : {}) },
    },
  ];
  const checks = [`step ${first}: the state must be "activated"`, rankCheck(request.kind, to.name, first + 1)];
  const notes = [
    `No step ${first + 2} when the offerings of step ${first + 1} already are these (an old client's retry): the bridge answers success without a PUT.`,
    `If step ${first + 2} times out, the bridge reads the offerings again and answers success only if they are the target.`,
  ];
  return { calls, checks, notes };
}

function rankCheck(kind: ChangeKind, target: string, step: number): string {
  switch (kind) {
    case 'upgrade':
      return `step ${step}: the current package must be one of the mappings and rank below ${target}`;
    case 'downgrade':
      return `step ${step}: the current package must be one of the mappings, not the free one, and rank above ${target}`;
    case 'change':
      return `step ${step}: the current package must be one of the mappings (any direction)`;
    case 'close':
      return `step ${step}: any current package (closing from a package the mappings do not know is allowed)`;
  }
}

function keptWithChange(request: ChangeRequest, mappings: Mappings): string[] {
  const ipAddon = mappings.addons.find((a) => a.dedicated_ip)?.offering;
  return [
    ...(request.ips.length
      ? [`which IPs the customer holds (${request.ips.join(', ')}): v3 only counts them${ipAddon ? `, as the quantity of ${ipAddon}` : ''}`]
      : []),
    ...(request.kind === 'close' ? ["the release of the customer's IPs, free for other customers again"] : []),
    ...(request.ipGroups.length ? [`the customer's IP groups (${request.ipGroups.join(', ')}): v3 has no IP groups`] : []),
  ];
}

/** The customer `user` names, explained by `explain`; else the refusal the bridge answers. */
function forUser(
  explanation: Explanation,
  params: LegacyParams,
  reseller: ResellerMapping,
  mappings: Mappings,
  explain: (customer: CustomerMapping) => Partial<Explanation>,
): Explanation {
  const username = params.get('user');
  const customer = customerOf(reseller, username, mappings);
  if (!customer) return refuse(explanation, 400, [userProblem(username)]);
  return { ...explanation, customer: named(customer), ...explain(customer) };
}

function explainOverview(explanation: Explanation, params: LegacyParams, reseller: ResellerMapping, mappings: Mappings): Explanation {
  return forUser(explanation, params, reseller, mappings, (customer) => ({
    calls: [
      { step: 1, phase: 'now', uses: [], ...v3Call('ListAccountOffering', customer.account_id), purpose: 'the current package: `package`' },
      { step: 2, phase: 'now', uses: [], ...v3Call('ListOffering'), purpose: "the catalog: `credits_allowed` is the email_sends_max_monthly of step 1's package" },
    ],
    checks: [],
    bridgeKeeps: [`the billing dates (billing_start_date, billing_end_date, billing_process_date), computed from the customer's billing day (${billingDayText(customer)})`],
    notes: ['reputation, requests, credits_used, credits_remain and credits_overage have no v3 source: the bridge leaves them out.'],
  }));
}

function explainPending(explanation: Explanation, task: string, params: LegacyParams, reseller: ResellerMapping, mappings: Mappings): Explanation {
  if (task === 'list') {
    const type = params.get('type');
    if (type !== undefined && type !== '' && !['upgrade', 'downgrade', 'close'].includes(type))
      return refuse(explanation, 400, ['type must be one of upgrade, downgrade, close']);
    return {
      ...explanation,
      bridgeKeeps: [`the list of ${reseller.api_user}'s scheduled changes (pending, applying, failed): v3 has no scheduled changes, so there is no v3 call to replace this one; keep the schedule in your own system`],
    };
  }
  return forUser(explanation, params, reseller, mappings, (customer) => ({
    bridgeKeeps: [`cancelling ${customer.username}'s scheduled change, kept in the bridge's history as cancelled: no v3 call (nothing was sent to v3 when it was scheduled)`],
    notes: ['The bridge answers 400 when the customer has no pending or failed change, 409 while it is being applied.'],
  }));
}

// ── /v1/partners/accounts/{business_uid}/change_package ───────────────────────────────────────

function explainDirectory(request: LegacyRequest, businessUid: string, mappings: Mappings): Explanation {
  const base = { ...blank('directory', 'change_package', 'json'), task: 'change_package' };
  if (request.method !== 'GET' && request.method !== 'POST') return refuse(base, 404, ['Not found']);
  const directory = directoryOf(tokenFromHeader(request.headers.authorization), mappings);
  const customer = directory && mappings.customers.find((c) => c.business_uid === businessUid && c.reseller === directory.reseller);
  if (!directory || !customer) return refuse(base, 401, ['HTTP Token: Access denied.']);
  const parsed = parseDirectoryParams(
    [...parseFormPairs(request.rawQuery), ...request.body],
    Object.keys(directory.packages),
  );
  const explanation = explainDirectoryChange({ directory, customer: named(customer), change: parsed.ok ? parsed.change : {}, mappings });
  return parsed.ok ? explanation : refuse({ ...explanation, calls: [], checks: [], bridgeKeeps: [], notes: [] }, 422, parsed.errors);
}

/** An authenticated directory change, its parameters valid (the dry run starts here). */
export function explainDirectoryChange(input: {
  directory: DirectoryMapping;
  customer: { name: string; accountId: string };
  change: DirectoryChange;
  mappings: Mappings;
}): Explanation {
  const { directory, customer, change, mappings } = input;
  const reseller = mappings.resellerByUser.get(directory.reseller)!;
  const explanation: Explanation = {
    ...blank('directory', 'change_package', 'json'),
    task: 'change_package',
    reseller: reseller.api_user,
    keyVariable: reseller.api_key_env,
    customer,
  };
  const keeps = [
    ...(change.tags ? [`the business's tags (${change.tags.join(', ') || 'none: cleared'}): v3 has no tags`] : []),
    ...(change.subscriptionParams
      ? [`the external subscription params (${change.subscriptionParams.map(([k, v]) => `${k}=${v}`).join(', ')}): v3 has no place for them`]
      : []),
  ];
  const notes = ['add_sms_credits and delete_sms_credits have no v3 equivalent: a non-zero value is refused with 422.'];

  if (change.packageName === undefined) {
    return {
      ...explanation,
      calls: [{ step: 1, phase: 'now', uses: [], ...v3Call('GetAccountState', customer.accountId), purpose: 'confirm the account exists upstream; no offerings are written' }],
      bridgeKeeps: [...keeps, 'an audit record of the update'],
      notes,
    };
  }
  const change_: ChangeRequest = { kind: 'change', packageName: directory.packages[change.packageName], ips: [], ipGroups: [] };
  const problems = validateRequest(change_, reseller, mappings, new Set());
  if (problems.length) return refuse(explanation, 422, problems);
  const planned = changeCalls(change_, customer.accountId, mappings, 'now', 1);
  return {
    ...explanation,
    calls: planned.calls,
    checks: planned.checks,
    bridgeKeeps: [...keeps, 'an audit record of the change, with the offerings before and after', "the business's pending scheduled change, if any, is superseded"],
    notes: [`The directory package ${change.packageName} is the package ${change_.packageName} of the mappings.`, ...planned.notes, ...notes],
  };
}

function directoryOf(token: string | undefined, mappings: Mappings): DirectoryMapping | undefined {
  if (token === undefined) return undefined;
  const digest = hashToken(token);
  return mappings.directories.find((d) => digestsEqual(d.token_hmac, digest));
}
