// What a hostile or careless client found against the legacy edge, each as an example: nothing a
// client sends stops the process, and every failure is answered in the shape and format of the
// surface that received it, in the default (original) status mode.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { AUTH, DEMO, useTestBridge } from '../helpers/bridge.js';

const current = useTestBridge();
const sim = () => current().simulator!;
const TOKEN = 'aaaabbbbccccddddeeeeffff11112222';
const BUSINESS = '88pzdbz1hmkdoel4';
const XML_HEAD = '<?xml version="1.0" encoding="ISO-8859-1"?>\n';
const NOT_FOUND_JSON = '{"error":{"code":404,"message":"Not found"}}';
const NOT_FOUND_XML = `${XML_HEAD}<result><error><code>404</code><message>Not found</message></error></result>`;

/** Sends the bytes unchanged (supertest would re-encode them). */
const postRaw = (path: string, contentType: string, body: string) =>
  fetch(`${current().url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

describe('a multipart part without a name', () => {
  it('is a legacy 400 and the bridge keeps answering', async () => {
    const res = await postRaw(
      '/apiv2/reseller.account.json',
      'multipart/form-data; boundary=zz',
      '--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--\r\n',
    );
    expect(res.status).toBe(200); // the original status rule: the error is in the body
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ message: 'error', errors: ['Malformed multipart/form-data body: a part has no name'] });
    expect((await request(current().url).get('/healthz')).status).toBe(200);
  });

  it('is refused in XML too, among named parts, with nothing changed', async () => {
    const res = await postRaw(
      '/apiv2/reseller.account.xml',
      'multipart/form-data; boundary=zz',
      `--zz\r\nContent-Disposition: form-data; name="api_user"\r\n\r\n${DEMO.apiUser}\r\n` +
        `--zz\r\nContent-Disposition: form-data; name="api_key"\r\n\r\n${DEMO.password}\r\n` +
        '--zz\r\nContent-Disposition: form-data; name="task"\r\n\r\nimmediate_close\r\n' +
        '--zz\r\nContent-Disposition: form-data; name="user"\r\n\r\nuser5\r\n' +
        '--zz\r\nContent-Disposition: form-data; name=""\r\n\r\nx\r\n--zz--\r\n',
    );
    expect(res.headers.get('content-type')).toBe('text/xml; charset=ISO-8859-1');
    expect(await res.text()).toBe(
      `${XML_HEAD}<result><message>error</message><errors><error>Malformed multipart/form-data body: a part has no name</error></errors></result>`,
    );
    expect(sim().writes(DEMO.accounts.user5).offerings).toBe(0);
  });
});

describe('a malformed % escape in the path', () => {
  it.each([
    ['/apiv2/%ZZ', 'application/json', NOT_FOUND_JSON],
    ['/apiv2/reseller.account.xml%', 'text/xml; charset=ISO-8859-1', NOT_FOUND_XML],
    ['/apiv2/reseller.account%E2.xml', 'text/xml; charset=ISO-8859-1', NOT_FOUND_XML],
    ['/apiv2/reseller.account%E2.json', 'application/json', NOT_FOUND_JSON],
  ])('%s is the dispatcher’s "not found", in the format of its suffix', async (path, contentType, body) => {
    const res = await request(current().url).get(`${path}?${AUTH}&task=overview&user=user4`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(contentType);
    expect(res.text).toBe(body);
  });

  it('on the directory endpoint: access denied without a valid token', async () => {
    const res = await request(current().url).get('/v1/partners/accounts/%ZZ/change_package?package_name=platinum20');
    expect(res.status).toBe(401);
    expect(res.text).toBe('HTTP Token: Access denied.\n');
  });

  it('on the directory endpoint with a valid token: a 422 naming the business uid', async () => {
    const res = await request(current().url)
      .get('/v1/partners/accounts/%ZZ/change_package?package_name=platinum20')
      .set('Authorization', `Token token="${TOKEN}"`);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      message: 'Bad parameter(s), see content for more information.',
      errors: ['business_uid: not a valid percent-encoded path segment'],
    });
  });
});

describe('a failure inside the bridge', () => {
  const failListing = () => {
    current().store.listPending = async () => {
      throw new Error('store unavailable');
    };
  };

  it('is answered in XML for an .xml request, never with a stack trace', async () => {
    failListing();
    const res = await request(current().url).get(`/apiv2/reseller.pending.xml?${AUTH}&task=list`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/xml; charset=ISO-8859-1');
    expect(res.text).toMatch(/^<\?xml version="1.0" encoding="ISO-8859-1"\?>\n<result><message>error<\/message><errors><error>Internal error in the bridge \(request [^)]+\)/);
    expect(res.text).not.toMatch(/store unavailable|at .*\.ts/);
  });

  it('follows the reseller’s status rule (original: HTTP 200 with the error body)', async () => {
    failListing();
    const second = await request(current().url).get(`/apiv2/reseller.pending.json?api_user=${DEMO.secondApiUser}&api_key=${DEMO.secondPassword}&task=list`);
    expect(second.status).toBe(200);
    expect(second.body.message).toBe('error');
  });

  it('on the directory endpoint is answered in the directory’s shape', async () => {
    current().store.updateCustomer = async () => {
      throw new Error('store unavailable');
    };
    const res = await request(current().url)
      .get(`/v1/partners/accounts/${BUSINESS}/change_package?edit_tags=vip`)
      .set('Authorization', `Token token="${TOKEN}"`);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(['message']);
    expect(res.body.message).toMatch(/^Internal error in the bridge/);
  });

  it('after a v3 PUT succeeded, never claims that nothing was changed', async () => {
    current().store.recordImmediateChange = async () => {
      throw new Error('disk full');
    };
    const res = await request(current().url).get(
      `/apiv2/reseller.account.json?${AUTH}&task=immediate_upgrade&package=Basic%20Package&user=customer@example.com`,
    );
    expect(sim().writes(DEMO.accounts['customer@example.com']).offerings).toBe(1); // the PUT landed
    expect(res.body.message).toBe('error');
    expect(res.body.errors[0]).not.toMatch(/nothing was changed/);
    expect(res.body.errors[0]).toMatch(/may or may not have taken effect/);
  });
});

describe('original statuses after authentication', () => {
  it('an unknown task of a reseller in original mode is the 404 body with HTTP 200', async () => {
    const res = await request(current().url).get(`/apiv2/reseller.account.json?api_user=${DEMO.secondApiUser}&api_key=${DEMO.secondPassword}&task=nope`);
    expect(res.status).toBe(200);
    expect(res.text).toBe(NOT_FOUND_JSON);
  });
});

describe('a password with a NUL byte', () => {
  it('does not authenticate, though scrypt would read it as the password', async () => {
    const res = await request(current().url).get(
      `/apiv2/reseller.account.json?api_user=${DEMO.apiUser}&api_key=${DEMO.password}%00&task=overview&user=user4`,
    );
    expect(res.text).toBe('{"error":{"code":401,"message":"Permission denied, wrong credentials"}}');
  });
});

describe('the directory endpoint’s business check', () => {
  it('reads nothing from the store for a business of another directory or one that exists nowhere', async () => {
    const store = current().store;
    const find = store.findCustomer.bind(store);
    let reads = 0;
    store.findCustomer = async (ref) => {
      reads++;
      return find(ref);
    };
    for (const business of ['5econdb1zbus1ness', 'n0such6us1ness00']) {
      const res = await request(current().url)
        .get(`/v1/partners/accounts/${business}/change_package?package_name=platinum20`)
        .set('Authorization', `Token token="${TOKEN}"`);
      expect(res.status).toBe(401);
    }
    expect(reads).toBe(0);
  });
});
