// Builds the V3Error for each way a call can fail. Every message names the
// operation and, when there was an answer, its status. Text that came from the
// server is cut short and has the API key blanked, in case a server echoes it.
import { BodyDecodeError, BodyTooLargeError } from './body.js';
import { V3Error } from './errors.js';
import { errorBodySchema } from './schemas.js';

const MAX_SERVER_TEXT = 300;

/** Failures before a request could have left: nothing was sent, so nothing can land. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Whether one failed attempt may have reached v3 and been applied (see V3Error's `mayHaveLanded`). */
export function attemptMayHaveLanded(error: V3Error): boolean {
  if (error.kind === 'http') return false; // answered with a refusal, as a whole
  if (error.kind === 'network' || error.kind === 'timeout') return !NOT_SENT_CODES.has(error.code ?? 'unknown');
  return true; // cut by the deadline mid-attempt, or a success status whose body we could not read
}

const TIMEOUT_CODES: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer headers in time',
  UND_ERR_BODY_TIMEOUT: 'the answer body stalled',
};

export class FailureFactory {
  constructor(
    private readonly operation: string,
    private readonly apiKey: string,
  ) {}

  /** v3 answered with a status that is not success for this operation. */
  http(status: number, body: Buffer | undefined, retryAfterMs: number | undefined): V3Error {
    const item = firstErrorItem(body);
    const errorId = this.serverText(item?.error_id);
    const field = this.serverText(item?.field ?? undefined);
    const serverMessage = this.serverText(item?.message);
    const message =
      `${this.operation}: v3 answered ${status}` +
      (errorId ? ` (${errorId})` : '') +
      (serverMessage ? `: ${serverMessage}` : '');
    return new V3Error('http', message, { operation: this.operation, status, errorId, field, retryAfterMs });
  }

  /** A success status whose body is not what the spec promises. */
  invalidAnswer(status: number, reason: string): V3Error {
    return new V3Error('invalid-response', `${this.operation}: v3 answered ${status} with ${this.scrub(reason)}`, {
      operation: this.operation,
      status,
    });
  }

  /** The attempt failed below HTTP: connect, socket, timeout, or the body could not be read. */
  transport(error: unknown, status: number | undefined): V3Error {
    const at = status === undefined ? '' : ` (after status ${status})`;
    if (error instanceof BodyTooLargeError || error instanceof BodyDecodeError) {
      const what = error instanceof BodyTooLargeError ? 'an answer over the size limit' : 'an answer that cannot be decoded';
      return new V3Error('invalid-response', `${this.operation}: v3 sent ${what}${at}`, {
        operation: this.operation,
        status,
      });
    }
    const code = errorCode(error);
    const timeout = TIMEOUT_CODES[code];
    const failure = timeout
      ? new V3Error('timeout', `${this.operation}: ${timeout}${at}`, { operation: this.operation, status })
      : new V3Error('network', `${this.operation}: connection failed (${code})${at}`, { operation: this.operation, status });
    failure.code = code;
    return failure;
  }

  /** The deadline struck while an attempt was in flight. */
  deadlineDuringAttempt(attempt: number, status: number | undefined): V3Error {
    return new V3Error('deadline', `${this.operation}: deadline reached during attempt ${attempt}`, {
      operation: this.operation,
      status,
      attempts: attempt,
    });
  }

  /**
   * No further attempt fits before the deadline: `reason` says what would have
   * had to wait; `last` is the previous attempt's failure, if any.
   */
  deadlineBeforeAttempt(reason: string, attempts: number, last: V3Error | undefined): V3Error {
    const lastText = last ? ` (last: ${describe(last)})` : '';
    return new V3Error('deadline', `${this.operation}: ${reason}${lastText}`, {
      operation: this.operation,
      status: last?.details.status,
      errorId: last?.details.errorId,
      retryAfterMs: last?.details.retryAfterMs,
      attempts,
    });
  }

  private serverText(text: string | undefined): string | undefined {
    if (!text) return undefined;
    const short = text.length > MAX_SERVER_TEXT ? `${text.slice(0, MAX_SERVER_TEXT)}…` : text;
    return this.scrub(short);
  }

  private scrub(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('[redacted]') : text;
  }
}

function describe(error: V3Error): string {
  if (error.kind === 'http') return `status ${error.details.status}`;
  return error.kind;
}

function firstErrorItem(body: Buffer | undefined) {
  if (!body || body.length === 0) return undefined;
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(body.toString('utf8')));
    return parsed.success ? parsed.data.errors?.[0] : undefined;
  } catch {
    return undefined;
  }
}

/** A short, fixed-vocabulary code (ECONNREFUSED, UND_ERR_SOCKET); never free text. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'unknown';
}
