import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { LegacyBadRequest, readLegacyBody, type BodyLimits } from '../../../src/edge/legacy/body.js';
import { rawQueryOf } from '../../../src/edge/legacy/form-pairs.js';
import { normaliseParams } from '../../../src/edge/legacy/params.js';

/** A route that reads the body and the query the legacy way and echoes what it understood. */
function echoApp(limits?: Partial<BodyLimits>, outcomes: unknown[] = []) {
  const app = express();
  app.set('query parser', false);
  app.all('/apiv2/echo', async (req, res) => {
    try {
      const body = await readLegacyBody(req, limits);
      outcomes.push(body);
      const params = normaliseParams(rawQueryOf(req.originalUrl), body);
      res.json({
        body: body ?? null,
        user: params.get('user') ?? null,
        package: params.get('package') ?? null,
        ip: params.list('ip'),
        ip_group: params.list('ip_group'),
      });
    } catch (error) {
      outcomes.push(error);
      if (!(error instanceof LegacyBadRequest)) throw error;
      res.status(error.status).json({ message: 'error', errors: [error.message] });
    }
  });
  return app;
}

const CRLF = '\r\n';

/** superagent would re-encode a Buffer sent as a form; this sends its bytes unchanged. */
const bytesAsIs = ((raw: Buffer) => raw) as unknown as (body: unknown) => string;

function multipart(boundary: string, parts: { name: string; value: string | Buffer; filename?: string; type?: string }[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    const headers = `--${boundary}${CRLF}Content-Disposition: ${disposition}${CRLF}${part.type ? `Content-Type: ${part.type}${CRLF}` : ''}${CRLF}`;
    chunks.push(Buffer.from(headers, 'latin1'), Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value, 'utf8'), Buffer.from(CRLF));
  }
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return Buffer.concat(chunks);
}

describe('urlencoded bodies', () => {
  it('are read with the query string, body first', async () => {
    const res = await supertest(echoApp())
      .post('/apiv2/echo?user=from-query&ip[]=9.9.9.9&package=Gold')
      .type('application/x-www-form-urlencoded')
      .send('user=from+body&ip[0]=1.1.1.1&ip[1]=2.2.2.2&ip_group%5B%5D=Reseller%20Group');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user: 'from body',
      package: 'Gold',
      ip: ['1.1.1.1', '2.2.2.2'],
      ip_group: ['Reseller Group'],
    });
  });

  it.each([
    ['with a charset parameter', 'application/x-www-form-urlencoded; charset=UTF-8'],
    ['in capitals', 'Application/X-WWW-Form-Urlencoded'],
  ])('are recognised %s', async (_name, contentType) => {
    const res = await supertest(echoApp()).post('/apiv2/echo').set('Content-Type', contentType).send('user=a');
    expect(res.body.user).toBe('a');
  });

  it('take ISO-8859-1 bytes from old clients', async () => {
    const res = await supertest(echoApp())
      .post('/apiv2/echo')
      .type('application/x-www-form-urlencoded')
      .serialize(bytesAsIs)
      .send(Buffer.from('user=caf\u00e9&package=caf%E9', 'latin1'));
    expect(res.body).toMatchObject({ user: 'café', package: 'café' });
  });
});

describe('multipart bodies', () => {
  it('give their text fields in order and ignore files', async () => {
    const boundary = 'legacy-boundary';
    const body = multipart(boundary, [
      { name: 'user', value: 'customer@example.com' },
      { name: 'ip[]', value: '1.1.1.1' },
      { name: 'upload', value: 'user=from-file', filename: 'a.txt', type: 'text/plain' },
      { name: 'ip[]', value: '2.2.2.2' },
      { name: 'package', value: Buffer.from('Caf\u00e9', 'latin1') },
      { name: 'ip_group[]', value: 'Réseau' },
    ]);
    const res = await supertest(echoApp())
      .post('/apiv2/echo?user=from-query')
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      body: [
        ['user', 'customer@example.com'],
        ['ip[]', '1.1.1.1'],
        ['ip[]', '2.2.2.2'],
        ['package', 'Café'],
        ['ip_group[]', 'Réseau'],
      ],
      user: 'customer@example.com',
      package: 'Café',
      ip: ['1.1.1.1', '2.2.2.2'],
      ip_group: ['Réseau'],
    });
  });

  it.each([
    ['UTF-8, named', 'Réseau 中', 'text/plain; charset=utf-8', 'Réseau 中'],
    ['ISO-8859-1, named', Buffer.from('Réseau', 'latin1'), 'text/plain; charset=iso-8859-1', 'Réseau'],
    ['UTF-8, unnamed', 'Réseau 中', undefined, 'Réseau 中'],
  ])('read text in %s charsets', async (_name, value, type, expected) => {
    const boundary = 'b';
    const body = multipart(boundary, [{ name: 'user', value, ...(type ? { type } : {}) }]);
    const res = await supertest(echoApp())
      .post('/apiv2/echo')
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(body);
    expect(res.body.user).toBe(expected);
  });
});

describe('bodies that hold no form fields', () => {
  it.each([
    ['text/plain', 'user=body'],
    ['application/json', '{"user":"body"}'],
    ['application/xml', '<user>body</user>'],
  ])('%s is ignored', async (contentType, payload) => {
    const res = await supertest(echoApp()).post('/apiv2/echo?user=query').set('Content-Type', contentType).send(payload);
    expect(res.body).toMatchObject({ body: null, user: 'query' });
  });

  it('a missing content type is ignored', async () => {
    const outcomes: unknown[] = [];
    const res = await supertest(echoApp(undefined, outcomes)).post('/apiv2/echo?user=query');
    expect(res.body).toMatchObject({ body: null, user: 'query' });
    expect(outcomes).toEqual([undefined]);
  });

  it('a GET body is ignored, as PHP fills $_POST for POST only', async () => {
    const res = await supertest(echoApp())
      .get('/apiv2/echo?user=query')
      .type('application/x-www-form-urlencoded')
      .send('user=body');
    expect(res.body).toMatchObject({ body: null, user: 'query' });
  });
});

describe('refusals', () => {
  const expectRefusal = (res: supertest.Response, status: number, message: RegExp) => {
    expect(res.status).toBe(status);
    expect(res.type).toBe('application/json');
    expect(res.body.message).toBe('error');
    expect(res.body.errors[0]).toMatch(message);
  };

  it('a urlencoded body over the byte limit is 413', async () => {
    const res = await supertest(echoApp({ maxBytes: 1024 }))
      .post('/apiv2/echo')
      .type('application/x-www-form-urlencoded')
      .send(`user=${'a'.repeat(2000)}`);
    expectRefusal(res, 413, /too large \(limit 1024 bytes\)/);
  });

  it('a body exactly at the limit is read', async () => {
    const payload = `user=${'a'.repeat(1019)}`;
    expect(payload).toHaveLength(1024);
    const res = await supertest(echoApp({ maxBytes: 1024 }))
      .post('/apiv2/echo')
      .type('application/x-www-form-urlencoded')
      .send(payload);
    expect(res.status).toBe(200);
  });

  it('the default limit is 64 KiB', async () => {
    const res = await supertest(echoApp())
      .post('/apiv2/echo')
      .type('application/x-www-form-urlencoded')
      .send(`user=${'a'.repeat(64 * 1024)}`);
    expectRefusal(res, 413, /limit 65536 bytes/);
  });

  it('a multipart body over the byte limit is 413', async () => {
    const boundary = 'b';
    const res = await supertest(echoApp({ maxBytes: 1024 }))
      .post('/apiv2/echo')
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(multipart(boundary, [{ name: 'user', value: 'a'.repeat(2000) }]));
    expectRefusal(res, 413, /too large/);
  });

  it('a large file in a multipart body counts against the limit too', async () => {
    const boundary = 'b';
    const res = await supertest(echoApp({ maxBytes: 1024 }))
      .post('/apiv2/echo')
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(multipart(boundary, [{ name: 'f', value: 'x'.repeat(4000), filename: 'f.bin' }]));
    expectRefusal(res, 413, /too large/);
  });

  it.each([
    ['urlencoded', 'application/x-www-form-urlencoded', 'a=1&b=2&c=3&d=4'],
    [
      'multipart',
      'multipart/form-data; boundary=b',
      multipart('b', ['a', 'b', 'c', 'd'].map((name) => ({ name, value: '1' }))),
    ],
  ])('too many %s fields is 413', async (_name, contentType, payload) => {
    const res = await supertest(echoApp({ maxFields: 3 })).post('/apiv2/echo').set('Content-Type', contentType).send(payload);
    expectRefusal(res, 413, /Too many fields .*limit 3/);
  });

  it.each([
    ['no boundary', 'multipart/form-data', multipart('b', [{ name: 'user', value: 'a' }])],
    ['no closing boundary', 'multipart/form-data; boundary=b', Buffer.from(`--b${CRLF}Content-Disposition: form-data; name="user"${CRLF}${CRLF}a`)],
    ['garbage', 'multipart/form-data; boundary=b', Buffer.from('this is not multipart')],
  ])('a malformed multipart body (%s) is 400', async (_name, contentType, payload) => {
    const res = await supertest(echoApp()).post('/apiv2/echo').set('Content-Type', contentType).send(payload);
    expectRefusal(res, 400, /Malformed multipart/);
  });

  it('a compressed body is 400', async () => {
    const res = await supertest(echoApp())
      .post('/apiv2/echo')
      .type('application/x-www-form-urlencoded')
      .set('Content-Encoding', 'gzip')
      .send('user=a');
    expectRefusal(res, 400, /Unsupported Content-Encoding: gzip/);
  });
});

describe('streams', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function listen(app: express.Express): Promise<number> {
    server = app.listen(0);
    await new Promise((resolve) => server!.once('listening', resolve));
    return (server!.address() as AddressInfo).port;
  }

  it('a chunked body that grows past the limit is 413', async () => {
    const port = await listen(echoApp({ maxBytes: 1024 }));
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { port, method: 'POST', path: '/apiv2/echo', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      req.write('user=');
      for (let i = 0; i < 4; i++) req.write('a'.repeat(500));
      req.end();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ message: 'error', errors: ['Request body too large (limit 1024 bytes)'] });
  });

  it('a body the client abandons is a 400 LegacyBadRequest', async () => {
    const outcomes: unknown[] = [];
    const port = await listen(echoApp(undefined, outcomes));
    const req = httpRequest({
      port,
      method: 'POST',
      path: '/apiv2/echo',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '100' },
    });
    req.on('error', () => {});
    const arrived = new Promise((resolve) => server!.once('request', resolve));
    req.write('user=abc');
    await arrived; // the server is reading the body when the client goes away
    req.destroy();
    await expect.poll(() => outcomes.length).toBe(1);
    expect(outcomes[0]).toBeInstanceOf(LegacyBadRequest);
    expect(outcomes[0]).toMatchObject({ status: 400, message: 'Request body incomplete' });
  });
});
