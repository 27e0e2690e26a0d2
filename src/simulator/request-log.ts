// What the v3 surface received, so tests can check what a client sends.
// The Authorization header is never kept.

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body; the raw text when it was not JSON; undefined when empty. */
  body: unknown;
  /** The spec's operationId, or undefined for a path the spec does not have. */
  operation?: string;
  /** The reseller (`api_user`) the key authenticated, if it did. */
  reseller?: string;
  at: string;
}

export class RequestLog {
  private readonly entries: RecordedRequest[] = [];

  /** Oldest entries are dropped beyond `limit`, so long benchmark runs stay bounded. */
  constructor(private readonly limit: number) {}

  get all(): readonly RecordedRequest[] {
    return this.entries;
  }

  add(entry: RecordedRequest): RecordedRequest {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    return entry;
  }

  clear(): void {
    this.entries.length = 0;
  }
}

export function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return query;
}

export function headersWithoutAuthorization(headers: Record<string, string | string[] | undefined>) {
  const { authorization: _secret, ...rest } = headers;
  return rest;
}
