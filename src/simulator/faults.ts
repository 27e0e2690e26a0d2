// Fault knobs for tests and benchmarks. These are the only answers the simulator
// gives outside the spec: latency, injected 5xx, 429 with Retry-After, a server that
// is down, and a write that is applied but answered late (the client times out after
// the change happened). Admin routes never see faults, so a remote simulator can
// always be repaired.
import * as z from 'zod';
import { errorIds, serverErrorBodies, serverErrorStatuses, specError, type ErrorBody, type ServerErrorStatus } from './errors.js';
import { operationIds, type OperationId } from './operations.js';

const operation = z.enum(operationIds);
const serverStatus = z.literal(serverErrorStatuses);
const millis = z.number().int().min(0).max(600_000);
const lateWriteOperations = ['UpdateAccountOffering', 'UpdateAccountState', 'CreateAccount', 'DeleteAccount'] as const;
export type LateWriteOperation = (typeof lateWriteOperations)[number];

/** Everything a fault can be set to; also the body of `PUT /_simulator/faults` (any subset, `null` clears). */
export const faultPatchSchema = z.strictObject({
  /** Added before every v3 answer. */
  latencyMs: millis.optional(),
  /** Overrides `latencyMs` for the named operations. */
  latencyByOperation: z.partialRecord(operation, millis).optional(),
  /** Share of v3 requests (0..1) answered with `errorStatus`. */
  errorRate: z.number().min(0).max(1).optional(),
  errorStatus: serverStatus.optional(),
  /** The next `count` requests (of `operation`, if given) answer `status`. */
  failNext: z.strictObject({ count: z.number().int().min(1), status: serverStatus.default(503), operation: operation.optional() }).nullable().optional(),
  /** 429 with `Retry-After` for the next `count` requests (all, until cleared, without `count`). */
  rateLimit: z
    .strictObject({ count: z.number().int().min(1).optional(), retryAfterSeconds: z.number().int().min(0).default(1), operation: operation.optional() })
    .nullable()
    .optional(),
  /** `reset`: v3 requests get their connection destroyed; `refuse`: the port stops listening. */
  down: z.union([z.literal(false), z.literal('reset'), z.literal('refuse')]).optional(),
  /** Bring the simulator back up by itself after this long (the only way back from `refuse` over HTTP). */
  downForMs: millis.optional(),
  /** The next `count` writes of `operation` are applied, then answered after `delayMs`. */
  lateWrite: z
    .strictObject({
      count: z.number().int().min(1).default(1),
      delayMs: millis,
      operation: z.enum(lateWriteOperations).default('UpdateAccountOffering'),
      /** Answer this many matching writes on time first (hold the k-th and later: skip k-1). */
      skip: z.number().int().min(0).default(0),
    })
    .nullable()
    .optional(),
});
export type FaultPatch = z.input<typeof faultPatchSchema>;

export interface FaultSettings {
  latencyMs: number;
  latencyByOperation: Partial<Record<OperationId, number>>;
  errorRate: number;
  errorStatus: ServerErrorStatus;
  failNext: { count: number; status: ServerErrorStatus; operation?: OperationId } | null;
  rateLimit: { count?: number; retryAfterSeconds: number; operation?: OperationId } | null;
  down: false | 'reset' | 'refuse';
  lateWrite: { count: number; delayMs: number; operation: LateWriteOperation; skip: number } | null;
}

export interface InjectedAnswer {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

export interface DownHooks {
  /** Called when `down` changes, so the server can stop or resume listening. */
  onDownChange(mode: FaultSettings['down']): void;
}

const noFaults = (): FaultSettings => ({
  latencyMs: 0,
  latencyByOperation: {},
  errorRate: 0,
  errorStatus: 500,
  failNext: null,
  rateLimit: null,
  down: false,
  lateWrite: null,
});

export class FaultController {
  private current = noFaults();
  private upTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hooks: DownHooks,
    private readonly random: () => number = Math.random,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get settings(): FaultSettings {
    return structuredClone(this.current);
  }

  /** Applies any subset of the knobs (validated: throws a ZodError on a bad patch). */
  set(patch: FaultPatch): FaultSettings {
    const p = faultPatchSchema.parse(patch);
    const next = { ...this.current };
    if (p.latencyMs !== undefined) next.latencyMs = p.latencyMs;
    if (p.latencyByOperation !== undefined) next.latencyByOperation = { ...p.latencyByOperation };
    if (p.errorRate !== undefined) next.errorRate = p.errorRate;
    if (p.errorStatus !== undefined) next.errorStatus = p.errorStatus;
    if (p.failNext !== undefined) next.failNext = p.failNext;
    if (p.rateLimit !== undefined) next.rateLimit = p.rateLimit;
    if (p.lateWrite !== undefined) next.lateWrite = p.lateWrite;
    if (p.down !== undefined) next.down = p.down;
    const downChanged = next.down !== this.current.down;
    this.current = next;
    if (downChanged || p.down !== undefined) this.scheduleUp(p.down ? p.downForMs : undefined);
    if (downChanged) this.hooks.onDownChange(next.down);
    return this.settings;
  }

  /** Back to a healthy simulator. */
  clear(): FaultSettings {
    return this.set({ ...noFaults() });
  }

  latency(ms: number, operation?: OperationId): this {
    if (operation) this.set({ latencyByOperation: { ...this.current.latencyByOperation, [operation]: ms } });
    else this.set({ latencyMs: ms });
    return this;
  }

  errorRate(rate: number, status: ServerErrorStatus = 500): this {
    this.set({ errorRate: rate, errorStatus: status });
    return this;
  }

  failNext(count: number, status: ServerErrorStatus = 503, operation?: OperationId): this {
    this.set({ failNext: { count, status, ...(operation ? { operation } : {}) } });
    return this;
  }

  rateLimit(options: { count?: number; retryAfterSeconds?: number; operation?: OperationId } = {}): this {
    this.set({ rateLimit: options });
    return this;
  }

  down(mode: 'reset' | 'refuse' = 'reset', forMs?: number): this {
    this.set({ down: mode, ...(forMs !== undefined ? { downForMs: forMs } : {}) });
    return this;
  }

  up(): this {
    this.set({ down: false });
    return this;
  }

  /** The next `count` offerings PUTs (or the given write) are applied, then answered `delayMs` later. */
  answerLate(delayMs: number, count = 1, operation: LateWriteOperation = 'UpdateAccountOffering', skip = 0): this {
    this.set({ lateWrite: { delayMs, count, operation, skip } });
    return this;
  }

  // ---- used by the server ----

  isDown(): FaultSettings['down'] {
    return this.current.down;
  }

  delayFor(op: OperationId | undefined): number {
    return (op && this.current.latencyByOperation[op]) ?? this.current.latencyMs;
  }

  /** An answer that replaces the real one, consuming one use of a counted fault. */
  injectedAnswer(op: OperationId | undefined): InjectedAnswer | undefined {
    const { failNext, rateLimit } = this.current;
    if (failNext && matches(failNext.operation, op)) {
      this.current.failNext = failNext.count > 1 ? { ...failNext, count: failNext.count - 1 } : null;
      return serverError(failNext.status);
    }
    if (rateLimit && matches(rateLimit.operation, op)) {
      if (rateLimit.count !== undefined)
        this.current.rateLimit = rateLimit.count > 1 ? { ...rateLimit, count: rateLimit.count - 1 } : null;
      return this.tooManyRequests(rateLimit.retryAfterSeconds);
    }
    if (this.current.errorRate > 0 && this.random() < this.current.errorRate) return serverError(this.current.errorStatus);
    return undefined;
  }

  /** Milliseconds to hold the answer of a write just applied, consuming one use. */
  takeLateWrite(op: OperationId): number | undefined {
    const late = this.current.lateWrite;
    if (!late || late.operation !== op) return undefined;
    if (late.skip > 0) {
      this.current.lateWrite = { ...late, skip: late.skip - 1 };
      return undefined;
    }
    this.current.lateWrite = late.count > 1 ? { ...late, count: late.count - 1 } : null;
    return late.delayMs;
  }

  dispose(): void {
    clearTimeout(this.upTimer);
  }

  private scheduleUp(forMs: number | undefined): void {
    clearTimeout(this.upTimer);
    this.upTimer = undefined;
    if (forMs !== undefined) this.upTimer = setTimeout(() => this.up(), forMs);
  }

  private tooManyRequests(retryAfterSeconds: number): InjectedAnswer {
    const reset = Math.ceil(this.now().getTime() / 1000) + retryAfterSeconds;
    return {
      status: 429,
      body: { errors: [specError('too many requests', '', errorIds.tooManyRequests)] },
      headers: {
        'retry-after': String(retryAfterSeconds),
        'x-ratelimit-limit': '600',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(reset),
      },
    };
  }
}

function matches(wanted: OperationId | undefined, op: OperationId | undefined): boolean {
  return wanted === undefined || wanted === op;
}

function serverError(status: ServerErrorStatus): InjectedAnswer {
  return { status, body: structuredClone(serverErrorBodies[status]), headers: {} };
}
