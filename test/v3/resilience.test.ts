// How the v3 client behaves when v3 is slow, limited, failing or malformed:
// timeouts, retries, server wait hints, deadlines, size caps, the rate limit.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createV3Upstream, type AttemptReport, type V3UpstreamOptions } from '../../src/v3/client.js';
import { V3Error } from '../../src/v3/errors.js';
import type { Script } from './scripted-server.js';
import { fakeTime, json, slow, startScriptedServer, v3Error, type ScriptedServer } from './scripted-server.js';

const KEY = 'SG.resilience-test-key';
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function setUp(script: Script | Script[], options: Partial<V3UpstreamOptions> = {}) {
  const server = await startScriptedServer(script);
  const reports: AttemptReport[] = [];
  const upstream = createV3Upstream({
    baseUrl: server.url,
    backoffBaseMs: 1,
    backoffCapMs: 5,
    onAttempt: (report) => reports.push(report),
    ...options,
  });
  closers.push(() => upstream.close(), () => server.close());
  return { api: upstream.forKey(KEY), upstream, server, reports };
}

/** The V3Error a promise rejects with (fails the test if it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<V3Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(V3Error);
  return error as V3Error;
}

const activated = json(200, { state: 'activated' });
const gzip = promisify(zlib.gzip);

function encoded(coding: string, payload: Buffer): Script {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding });
    res.end(payload);
  };
}

describe('timeouts and connection failures', () => {
  it('a headers timeout is a timeout, and a GET is tried again', async () => {
    const { api, server, reports } = await setUp([slow(2_000, activated), activated], { headersTimeoutMs: 100 });
    await expect(api.getState('sg1')).resolves.toBe('activated');
    expect(server.seen).toHaveLength(2);
    expect(reports.map((r) => r.error?.kind)).toEqual(['timeout', undefined]);
    expect(reports.map((r) => r.attempt)).toEqual([1, 2]);
  });

  it('a POST that times out is not sent again', async () => {
    const { api, server } = await setUp([slow(2_000, json(201, { account_id: 'x' }))], { headersTimeoutMs: 100 });
    const error = await failureOf(api.createAccount({ offerings: [] }));
    expect(error.kind).toBe('timeout');
    expect(server.seen).toHaveLength(1);
  });

  it('connection refused is a network error, retried up to maxAttempts', async () => {
    const server = await startScriptedServer(activated);
    await server.close();
    const reports: AttemptReport[] = [];
    const upstream = createV3Upstream({ baseUrl: server.url, maxAttempts: 3, backoffBaseMs: 1, onAttempt: (r) => reports.push(r) });
    closers.push(() => upstream.close());
    const error = await failureOf(upstream.forKey(KEY).getState('sg1'));
    expect(error.kind).toBe('network');
    expect(error.details.attempts).toBe(3);
    expect(reports).toHaveLength(3);
    expect(error.gatewayStatus).toBe(503);
  });
});

describe('retries on v3 errors', () => {
  it('5xx answers are retried until one succeeds', async () => {
    const { api, server, reports } = await setUp([v3Error(500, 'Something went wrong', '10-50000'), v3Error(502, 'Bad Gateway', '10-50200'), activated], {
      maxAttempts: 3,
    });
    await expect(api.getState('sg1')).resolves.toBe('activated');
    expect(server.seen).toHaveLength(3);
    expect(reports.map((r) => r.status)).toEqual([500, 502, 200]);
  });

  it('gives up after maxAttempts with the last answer as a typed error', async () => {
    const { api, server } = await setUp(v3Error(503, 'Service Unavailable', '10-50300'), { maxAttempts: 2 });
    const error = await failureOf(api.getOfferings('sg1'));
    expect(error).toMatchObject({ kind: 'http', status: 503, transient: true });
    expect(error.details).toMatchObject({ errorId: '10-50300', attempts: 2, operation: 'ListAccountOffering' });
    expect(server.seen).toHaveLength(2);
  });

  it('a 4xx is not retried and carries status, error_id, field and message', async () => {
    const { api, server } = await setUp(
      json(400, { errors: [{ message: 'Field must be a valid email', field: 'email', error_id: '10-40002' }] }),
    );
    const error = await failureOf(api.putOfferings('sg1', []));
    expect(error.details).toMatchObject({ status: 400, errorId: '10-40002', field: 'email' });
    expect(error.message).toBe('UpdateAccountOffering: v3 answered 400 (10-40002): Field must be a valid email');
    expect(error.transient).toBe(false);
    expect(server.seen).toHaveLength(1);
  });

  it('an error body that is not JSON still gives a typed http error', async () => {
    const { api } = await setUp((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>not found</html>');
    });
    const error = await failureOf(api.getState('sg1'));
    expect(error).toMatchObject({ kind: 'http', status: 404 });
    expect(error.message).toBe('GetAccountState: v3 answered 404');
  });

  it('a POST answered 503 is never retried', async () => {
    const { api, server } = await setUp([v3Error(503, 'Service Unavailable', '10-50300'), json(201, { account_id: 'x' })], {
      maxAttempts: 4,
    });
    const error = await failureOf(api.createAccount({ offerings: [] }));
    expect(error).toMatchObject({ kind: 'http', status: 503 });
    expect(server.seen).toHaveLength(1);
  });

  it('the SSO POST answered 503 is never retried', async () => {
    const { api, server } = await setUp(v3Error(503, 'Service Unavailable', '10-50300'), { maxAttempts: 4 });
    const error = await failureOf(api.authenticateAccount('sg1'));
    expect(error).toMatchObject({ kind: 'http', status: 503 });
    expect(server.seen).toHaveLength(1);
  });
});

describe('server wait hints', () => {
  it('429 with Retry-After in seconds: waits that long, then retries', async () => {
    const time = fakeTime();
    const { api, server } = await setUp([v3Error(429, 'too many requests', undefined, { 'retry-after': '2' }), activated], {
      now: time.now,
      sleep: time.sleep,
    });
    await expect(api.getState('sg1')).resolves.toBe('activated');
    expect(time.sleeps).toEqual([2_000]);
    expect(server.seen).toHaveLength(2);
  });

  it('429 with Retry-After as an HTTP date: waits until then', async () => {
    const time = fakeTime();
    const at = new Date(time.start + 3_000).toUTCString();
    const { api, server } = await setUp([v3Error(429, 'too many requests', undefined, { 'retry-after': at }), activated], {
      now: time.now,
      sleep: time.sleep,
    });
    await expect(api.getState('sg1')).resolves.toBe('activated');
    expect(time.sleeps).toEqual([3_000]);
    expect(server.seen).toHaveLength(2);
  });

  it('429 with X-RateLimit-Reset as epoch seconds: waits until the reset', async () => {
    const time = fakeTime();
    const reset = String(time.start / 1000 + 4);
    const { api } = await setUp([v3Error(429, 'too many requests', undefined, { 'x-ratelimit-reset': reset }), activated], {
      now: time.now,
      sleep: time.sleep,
    });
    await expect(api.getState('sg1')).resolves.toBe('activated');
    expect(time.sleeps).toEqual([4_000]);
  });

  it('429 with X-RateLimit-Reset as a delay: waits that many seconds', async () => {
    const time = fakeTime();
    const { api } = await setUp([v3Error(429, 'too many requests', undefined, { 'x-ratelimit-reset': '1' }), activated], {
      now: time.now,
      sleep: time.sleep,
    });
    await expect(api.getState('sg1')).resolves.toBe('activated');
    expect(time.sleeps).toEqual([1_000]);
  });

  it('a real 429 body has no error_id: the error still carries status and message', async () => {
    const { api } = await setUp(v3Error(429, 'too many requests', undefined, { 'retry-after': '7' }));
    const error = await failureOf(api.createAccount({ offerings: [] }));
    expect(error.details).toMatchObject({ status: 429, retryAfterMs: 7_000 });
    expect(error.details.errorId).toBeUndefined();
    expect(error.message).toBe('CreateAccount: v3 answered 429: too many requests');
    expect(error.gatewayStatus).toBe(503);
  });
});

describe('deadlines', () => {
  it('a Retry-After longer than the deadline fails at once with "deadline"', async () => {
    const { api, server } = await setUp(v3Error(429, 'too many requests', undefined, { 'retry-after': '60' }));
    const error = await failureOf(api.getState('sg1', { deadline: Date.now() + 5_000 }));
    expect(error.kind).toBe('deadline');
    expect(error.details).toMatchObject({ status: 429, retryAfterMs: 60_000, attempts: 1 });
    expect(error.message).toContain('GetAccountState');
    expect(server.seen).toHaveLength(1);
  });

  it('the default per-call budget bounds calls made without a deadline', async () => {
    const { api, server } = await setUp(v3Error(503, 'Service Unavailable', '10-50300', { 'retry-after': '60' }), {
      callBudgetMs: 5_000,
    });
    const error = await failureOf(api.putState('sg1', 'activated'));
    expect(error).toMatchObject({ kind: 'deadline', status: 503 });
    expect(server.seen).toHaveLength(1);
  });

  it('no attempt starts once the deadline has passed', async () => {
    const { api, server } = await setUp(activated);
    const error = await failureOf(api.getState('sg1', { deadline: Date.now() - 1 }));
    expect(error.kind).toBe('deadline');
    expect(error.details.attempts).toBe(0);
    expect(server.seen).toHaveLength(0);
  });

  it('an attempt in flight is cut off at the deadline', async () => {
    const { api, server } = await setUp(slow(5_000, activated), { headersTimeoutMs: 10_000 });
    const error = await failureOf(api.getState('sg1', { deadline: Date.now() + 150 }));
    expect(error.kind).toBe('deadline');
    expect(server.seen).toHaveLength(1);
  });

  it("the caller's abort signal ends the call with its reason", async () => {
    const { api, server } = await setUp(slow(5_000, activated));
    const controller = new AbortController();
    const call = api.getState('sg1', { signal: controller.signal });
    await expect.poll(() => server.seen.length).toBe(1); // the attempt is in flight
    controller.abort(new Error('legacy client went away'));
    await expect(call).rejects.toThrow('legacy client went away');
  });
});

describe('answer checks', () => {
  it('malformed JSON is an invalid response and is not retried', async () => {
    const { api, server } = await setUp((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"state": "activ');
    });
    const error = await failureOf(api.getState('sg1'));
    expect(error).toMatchObject({ kind: 'invalid-response', status: 200, transient: false });
    expect(error.message).toContain('GetAccountState');
    expect(server.seen).toHaveLength(1);
  });

  it('a body that breaks the schema is refused', async () => {
    const { api, server } = await setUp(json(200, { state: 'frozen' }));
    const error = await failureOf(api.getState('sg1'));
    expect(error.kind).toBe('invalid-response');
    expect(error.message).toContain('state');
    expect(server.seen).toHaveLength(1);
  });

  it('an offering without a name is refused', async () => {
    const { api } = await setUp(json(200, { offerings: [{ type: 'package' }] }));
    await expect(api.getOfferings('sg1')).rejects.toMatchObject({ kind: 'invalid-response' });
  });

  it('an SSO answer without a Location is refused', async () => {
    const { api } = await setUp((_req, res) => {
      res.writeHead(303);
      res.end();
    });
    await expect(api.authenticateAccount('sg1')).rejects.toMatchObject({ kind: 'invalid-response', status: 303 });
  });
});

describe('compressed answers', () => {
  const state = Buffer.from(JSON.stringify({ state: 'deactivated' }));

  it('decodes gzip', async () => {
    const { api } = await setUp(encoded('gzip', await gzip(state)));
    await expect(api.getState('sg1')).resolves.toBe('deactivated');
  });

  it('decodes deflate and br', async () => {
    const { api } = await setUp([encoded('deflate', zlib.deflateSync(state)), encoded('br', zlib.brotliCompressSync(state))]);
    await expect(api.getState('sg1')).resolves.toBe('deactivated');
    await expect(api.getState('sg1')).resolves.toBe('deactivated');
  });

  it('refuses a gzip answer that decodes past the size cap', async () => {
    const huge = Buffer.from(JSON.stringify({ accounts: [], padding: ' '.repeat(200_000) }));
    const packed = await gzip(huge);
    expect(packed.length).toBeLessThan(4_096);
    const { api, server } = await setUp(encoded('gzip', packed), { maxBodyBytes: 64 * 1024 });
    const error = await failureOf(api.listAccounts());
    expect(error.kind).toBe('invalid-response');
    expect(server.seen).toHaveLength(1);
  });

  it('refuses an answer whose undecoded size passes its cap, declared or streamed', async () => {
    const streamed: Script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // no length: chunked
      res.write('{"accounts":[],"padding":"');
      for (let i = 0; i < 10; i++) res.write('x'.repeat(1_000));
      res.end('"}');
    };
    const { api } = await setUp([json(200, { accounts: [], padding: 'x'.repeat(10_000) }), streamed], {
      maxEncodedBodyBytes: 1_024,
    });
    await expect(api.listAccounts()).rejects.toMatchObject({ kind: 'invalid-response' });
    await expect(api.listAccounts()).rejects.toMatchObject({ kind: 'invalid-response' });
  });

  it('an answer cut off in its body is a network failure, and a GET is tried again', async () => {
    const cutOff: Script = (_req, res) => {
      const whole = JSON.stringify({ state: 'activated' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(whole.length) });
      res.write(whole.slice(0, 5), () => res.destroy());
    };
    const { api, server } = await setUp([cutOff, activated]);
    expect(await api.getState('sg1')).toBe('activated');
    expect(server.seen).toHaveLength(2);
    const { api: once } = await setUp(cutOff, { maxAttempts: 1 });
    expect(await failureOf(once.getState('sg1'))).toMatchObject({ kind: 'network' });
  });

  it('an answer whose body stalls is cut off by the body timeout, as a timeout', async () => {
    const stalls: Script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length to wait for
      res.write('{"state":');
    };
    const { api, server } = await setUp(stalls, { bodyTimeoutMs: 100, maxAttempts: 2 });
    expect(await failureOf(api.getState('sg1'))).toMatchObject({ kind: 'timeout', details: { attempts: 2 } });
    expect(server.seen).toHaveLength(2);
  });

  it('an answer whose body stalls past the deadline is cut off at the deadline, before its body timeout', async () => {
    const stalls: Script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"state":');
    };
    const { api, server } = await setUp(stalls, { bodyTimeoutMs: 10_000 });
    const started = Date.now();
    expect(await failureOf(api.getState('sg1', { deadline: started + 200 }))).toMatchObject({ kind: 'deadline', status: 200 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.seen).toHaveLength(1);
  });

  it('refuses a corrupt gzip body and an unknown coding', async () => {
    const { api } = await setUp([encoded('gzip', Buffer.from('not gzip at all')), encoded('compress', state)]);
    await expect(api.getState('sg1')).rejects.toMatchObject({ kind: 'invalid-response' });
    await expect(api.getState('sg1')).rejects.toMatchObject({ kind: 'invalid-response' });
  });
});

describe('rate limit per key', () => {
  it('a burst beyond the bucket waits its turn, spaced at the rate', async () => {
    const time = fakeTime();
    const { api, server } = await setUp(activated, { now: time.now, sleep: time.sleep, ratePerSecond: 10, burst: 2 });
    const states = await Promise.all(Array.from({ length: 5 }, () => api.getState('sg1')));
    expect(states).toEqual(Array(5).fill('activated'));
    expect(time.sleeps).toEqual([100, 200, 300]);
    expect(server.seen).toHaveLength(5);
  });

  it('is shared by every user of the same key, not by other keys', async () => {
    const time = fakeTime();
    const { upstream } = await setUp(activated, { now: time.now, sleep: time.sleep, ratePerSecond: 10, burst: 1 });
    await upstream.forKey(KEY).getState('sg1');
    await upstream.forKey(KEY).getState('sg1');
    expect(time.sleeps).toEqual([100]);
    await upstream.forKey('SG.another-resellers-key').getState('sg1');
    expect(time.sleeps).toEqual([100]);
  });

  it('a token that would come after the deadline fails with "deadline" without sending', async () => {
    const time = fakeTime();
    const { api, server } = await setUp(activated, { now: time.now, sleep: time.sleep, ratePerSecond: 1, burst: 1 });
    await api.getState('sg1');
    const error = await failureOf(api.getState('sg1', { deadline: time.now() + 500 }));
    expect(error.kind).toBe('deadline');
    expect(server.seen).toHaveLength(1);
  });
});

describe('the API key stays secret', () => {
  it('appears in no error message, error detail or attempt report', async () => {
    const echoKey: Script = (req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: `bad credentials: ${req.headers.authorization}`, field: KEY, error_id: '10-40100' }] }));
    };
    const { api, reports } = await setUp(
      [echoKey, echoKey, slow(2_000, activated), (_req, res) => void res.end('{not json'), v3Error(503, `busy ${KEY}`, '10-50300')],
      { headersTimeoutMs: 100, maxAttempts: 1 },
    );
    const errors = [
      await failureOf(api.getState('sg1')),
      await failureOf(api.createAccount({ offerings: [] })),
      await failureOf(api.getState('sg1')),
      await failureOf(api.getState('sg1')),
      await failureOf(api.getState('sg1')),
    ];
    expect(errors.map((e) => e.kind)).toEqual(['http', 'http', 'timeout', 'invalid-response', 'http']);
    expect(errors[0]!.message).toContain('[redacted]');
    const everything = JSON.stringify([
      errors.map((e) => ({ message: e.message, stack: e.stack, details: e.details })),
      reports.map((r) => ({ ...r, error: r.error && { message: r.error.message, details: r.error.details } })),
    ]);
    expect(everything).toContain('GetAccountState');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain('resilience-test-key');
  });

  it('a key that cannot be a header value is refused without being echoed', async () => {
    const { upstream } = await setUp(activated);
    const badKey = 'SG.secret\r\nX-Injected: 1';
    let message = '';
    try {
      upstream.forKey(badKey);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/API key/);
    expect(message).not.toContain('secret');
    expect(() => upstream.forKey('')).toThrow(TypeError);
  });
});

describe('whether a failed write may have landed', () => {
  const offerings = json(200, { offerings: [] });

  it('a PUT timed out, then refused: it may have landed, and the caller heard of each unanswered attempt', async () => {
    const { api } = await setUp([slow(2_000, offerings), v3Error(503, 'Service Unavailable'), v3Error(503, 'Service Unavailable')], {
      headersTimeoutMs: 100,
    });
    let unanswered = 0;
    const error = await failureOf(api.putOfferings('sg1', [], { onUnanswered: () => unanswered++ }));
    expect(error).toMatchObject({ kind: 'http', status: 503 });
    expect(error.details.mayHaveLanded).toBe(true);
    expect(unanswered).toBe(1);
  });

  it('a PUT refused by every attempt: nothing can land', async () => {
    const { api } = await setUp([v3Error(503, 'Service Unavailable'), v3Error(500, 'boom'), v3Error(503, 'Service Unavailable')]);
    const error = await failureOf(api.putOfferings('sg1', []));
    expect(error.details).toMatchObject({ status: 503, mayHaveLanded: false });
  });

  it('the deadline between attempts, after one timed out: still uncertain', async () => {
    const { api } = await setUp([slow(2_000, offerings), v3Error(503, 'Service Unavailable', undefined, { 'retry-after': '30' })], {
      headersTimeoutMs: 100,
    });
    const error = await failureOf(api.putOfferings('sg1', [], { deadline: Date.now() + 1_500 }));
    expect(error.kind).toBe('deadline');
    expect(error.details.mayHaveLanded).toBe(true);
  });

  it('a refused connection sent nothing', async () => {
    const { api, server } = await setUp(offerings);
    await server.close();
    const error = await failureOf(api.putOfferings('sg1', []));
    expect(error.kind).toBe('network');
    expect(error.details.mayHaveLanded).toBe(false);
  });

  it('a read never carries the flag', async () => {
    const { api } = await setUp(slow(2_000, offerings), { headersTimeoutMs: 100, maxAttempts: 1 }); // unanswered, yet a GET changes nothing
    expect((await failureOf(api.getOfferings('sg1'))).details.mayHaveLanded).toBeUndefined();
  });
});
