// The readiness checks: the store answers, and v3 accepts each reseller's key. Each failure says
// what is wrong in the operator's terms: the reseller, the variable that holds its key, the URL.
import type { ResellerMapping } from '../config/mappings.js';
import type { Store } from '../store/store.js';
import type { V3Api } from '../v3/api.js';
import { isV3Error } from '../v3/errors.js';
import type { CheckResult, Checks } from './readiness.js';

/** One check run may not take longer than this (v3 retries included). */
const CHECK_BUDGET_MS = 5_000;

export interface CheckDeps {
  store: Store;
  resellers: readonly ResellerMapping[];
  v3For(reseller: ResellerMapping): V3Api;
  /** The upstream as SENDGRID_API_URL names it (or "the embedded simulator"). */
  upstream: string;
}

export function readinessChecks(deps: CheckDeps): Checks {
  return {
    'store:responseTime': async () => [await storeAnswers(deps.store)],
    'v3:authentication': () => Promise.all(deps.resellers.map((reseller) => v3AcceptsKey(reseller, deps))),
  };
}

async function storeAnswers(store: Store): Promise<CheckResult> {
  const started = performance.now();
  const time = new Date().toISOString();
  const result = { componentId: store.kind, componentType: 'datastore', time };
  try {
    await store.ping();
    return { ...result, status: 'pass', observedValue: Math.round((performance.now() - started) * 100) / 100, observedUnit: 'ms' };
  } catch (error) {
    return { ...result, status: 'fail', output: `store (${store.kind}) does not answer: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The cheapest call a partner key may make: the first page of one account. */
async function v3AcceptsKey(reseller: ResellerMapping, deps: CheckDeps): Promise<CheckResult> {
  const result = { componentId: reseller.api_user, componentType: 'component', time: new Date().toISOString() };
  try {
    await deps.v3For(reseller).listAccounts({ limit: 1 }, { deadline: Date.now() + CHECK_BUDGET_MS });
    return { ...result, status: 'pass' };
  } catch (error) {
    return { ...result, status: 'fail', output: `reseller "${reseller.api_user}": ${whyRefused(error, reseller.api_key_env, deps.upstream)}` };
  }
}

function whyRefused(error: unknown, keyVariable: string, upstream: string): string {
  if (!isV3Error(error)) return `the v3 check broke: ${error instanceof Error ? error.message : String(error)}`;
  const status = error.status;
  if (error.kind === 'http' && (status === 401 || status === 403))
    return `v3 refused the key in ${keyVariable} (${status}); set that variable to the reseller's v3 API key`;
  if (error.kind === 'http' && status === 404)
    return `v3 answered 404 at ${upstream}: SENDGRID_API_URL must be the API's root (like https://api.sendgrid.com), without /v3 or another path`;
  if (error.kind === 'http') return `v3 answered ${status} at ${upstream}`;
  if (error.kind === 'invalid-response') return `${upstream} did not answer like the v3 API: is SENDGRID_API_URL right?`;
  return `v3 unreachable at ${upstream} (${error.kind}): ${error.message}`;
}
