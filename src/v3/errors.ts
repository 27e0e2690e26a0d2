// Every failure of a v3 call becomes one V3Error, so callers branch on `kind`
// and `status`, never on message text. Messages never carry the API key.

export type V3ErrorKind =
  | 'http' //            v3 answered with a non-success status
  | 'timeout' //         connect/header/body timeout of one attempt
  | 'deadline' //        the caller's deadline ran out (or a Retry-After would outlast it)
  | 'network' //         connection refused/reset, DNS
  | 'invalid-response'; // body was not the JSON the spec promises

export class V3Error extends Error {
  override readonly name = 'V3Error';
  /** The transport's error code (ECONNRESET, UND_ERR_HEADERS_TIMEOUT, ...) of a network or timeout failure. */
  code?: string;
  constructor(
    readonly kind: V3ErrorKind,
    message: string,
    readonly details: {
      operation: string;
      status?: number;
      errorId?: string;
      field?: string;
      retryAfterMs?: number;
      attempts?: number;
      /**
       * A write (PUT, POST, DELETE) only: some attempt of the call was sent and never answered
       * (timed out, cut by the deadline, connection lost after sending, or a success we could not
       * read), so the write may have landed, or may land later, whatever the last attempt said.
       * False when every attempt was refused by an answer or never sent.
       */
      mayHaveLanded?: boolean;
    },
  ) {
    super(message);
  }

  get status(): number | undefined {
    return this.details.status;
  }

  /**
   * Worth trying again later (the scheduler's rule): 429, 5xx, timeouts, network, and 401 —
   * a rotated or mistyped key is fixed by the operator, and must not fail every due change.
   */
  get transient(): boolean {
    if (this.kind === 'http') {
      const s = this.details.status ?? 0;
      return s === 401 || s === 429 || s >= 500;
    }
    return this.kind !== 'invalid-response';
  }

  /** The status a legacy client should see for this upstream failure. */
  get gatewayStatus(): 502 | 503 | 504 {
    const s = this.details.status ?? 0;
    // A deadline cut short by the upstream's own "come back later" is unavailability, not slowness.
    if (this.kind === 'deadline' && (s === 429 || s === 503)) return 503;
    if (this.kind === 'timeout' || this.kind === 'deadline') return 504;
    if (this.kind === 'network') return 503;
    if (s === 429 || s === 503) return 503;
    if (s === 504) return 504;
    return 502;
  }
}

export function isV3Error(e: unknown): e is V3Error {
  return e instanceof V3Error;
}
