// The legacy format a request asked for, read from its raw path, so that a call that cannot be
// decoded (`reseller.account%E2.xml`, `reseller.account.xml%`) or parsed is still answered in it.
import type { LegacyFormat } from './legacy/index.js';

export function formatOfPath(rawPath: string): LegacyFormat {
  return /\.xml[^./]*$/.test(rawPath) ? 'xml' : 'json';
}

/** Express's own refusal of a path parameter that is not valid percent-encoding. */
export function isPathDecodeError(error: unknown): boolean {
  return error instanceof URIError && (error as URIError & { status?: number }).status === 400;
}

/** "Nothing was changed" only when the failure came before the task: after that, a write may have landed. */
export function internalErrorMessage(requestId: string, taskStarted: boolean): string {
  return taskStarted
    ? `Internal error in the bridge (request ${requestId}); the change may or may not have taken effect: check the account before retrying`
    : `Internal error in the bridge (request ${requestId}); nothing was changed, the request is safe to retry`;
}
