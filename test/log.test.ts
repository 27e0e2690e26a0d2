// The log's last line of defence: a secret field a caller slips into a record is censored, up to
// three levels deep, without changing the caller's objects.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CENSOR, createLogger, redactSecrets, SECRET_FIELDS } from '../src/log.js';

describe('redactSecrets', () => {
  it.each([
    { record: { password: 'p1', task: 'add' }, expected: { password: CENSOR, task: 'add' } },
    { record: { api_key: 'k', apiKey: 'k2', token: 't', authorization: 'Bearer x' }, expected: { api_key: CENSOR, apiKey: CENSOR, token: CENSOR, authorization: CENSOR } },
    { record: { body: { password: 'p', user: 'u' } }, expected: { body: { password: CENSOR, user: 'u' } } },
    { record: { headers: { authorization: 'Basic x', accept: '*/*' } }, expected: { headers: { authorization: CENSOR, accept: '*/*' } } },
    { record: { req: { headers: { authorization: 'Basic x' } } }, expected: { req: { headers: { authorization: CENSOR } } } },
    { record: { list: [{ token: 't' }, 'plain'] }, expected: { list: [{ token: CENSOR }, 'plain'] } },
    { record: { password: null, token: 0 }, expected: { password: CENSOR, token: CENSOR } },
    // Deeper than three levels is beyond what any record of the bridge holds.
    { record: { a: { b: { c: { password: 'p' } } } }, expected: { a: { b: { c: { password: 'p' } } } } },
  ])('censors $record', ({ record, expected }) => {
    const before = structuredClone(record);
    expect(redactSecrets(record)).toEqual(expected);
    expect(record).toEqual(before);
  });

  it('returns a record without secrets as it is, copying nothing', () => {
    const nested = { route: '/apiv2/reseller.account.json', status: 200 };
    const record = { requestId: 'r1', nested, ms: 1.5 };
    expect(redactSecrets(record)).toBe(record);
  });

  it('keeps an error an error, with its message and stack, when it censors one of its fields', () => {
    const error = Object.assign(new TypeError('upstream refused'), { token: 'secret-token', code: 'E1' });
    const out = redactSecrets({ err: error }).err;
    expect(out).toBeInstanceOf(TypeError);
    expect(out).toMatchObject({ message: 'upstream refused', token: CENSOR, code: 'E1', stack: error.stack });
    expect(error.token).toBe('secret-token');
  });

  it('names the fields pino was told to redact before', () => {
    expect([...SECRET_FIELDS].sort()).toEqual(['apiKey', 'api_key', 'authorization', 'password', 'token']);
  });
});

describe('createLogger', () => {
  function captured(): { lines: () => Record<string, unknown>[]; stream: Writable } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    return { stream, lines: () => chunks.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
  }

  it('writes no secret of a record, of a child binding or of a logged error', () => {
    const { stream, lines } = captured();
    const logger = createLogger({ level: 'info' }, stream);
    const error = Object.assign(new Error('refused'), { apiKey: 'SG.key-in-error' });
    logger.child({ token: 'child-token', requestId: 'r7' }).warn({ err: error, headers: { authorization: 'Bearer header-secret' }, password: 'pw' }, 'upstream failed');
    const [line] = lines();
    const text = JSON.stringify(line);
    for (const secret of ['SG.key-in-error', 'child-token', 'header-secret', '"pw"']) expect(text).not.toContain(secret);
    expect(line).toMatchObject({ requestId: 'r7', token: CENSOR, password: CENSOR, headers: { authorization: CENSOR }, msg: 'upstream failed' });
    expect(line!.err).toMatchObject({ type: 'Error', message: 'refused', apiKey: CENSOR });
    expect(String((line!.err as { stack: string }).stack)).toContain('refused');
  });

  it("stamps each line with pino's ISO time", () => {
    const { stream, lines } = captured();
    const before = Date.now();
    createLogger({ level: 'info' }, stream).info('stamped');
    const time = lines()[0]!.time as string;
    expect(time).toBe(new Date(Date.parse(time)).toISOString());
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
  });

  it("censors a grandchild's bindings too", () => {
    const { stream, lines } = captured();
    createLogger({ level: 'info' }, stream).child({ component: 'ledger' }).child({ apiKey: 'grandchild-key' }).info('flushed');
    expect(lines()[0]).toMatchObject({ component: 'ledger', apiKey: CENSOR, msg: 'flushed' });
  });
});
