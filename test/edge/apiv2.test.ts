// The legacy apiv2 surface end to end: supertest → bridge → embedded simulator.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { AUTH, DEMO, startTestBridge, useTestBridge, packageOf as packageOfAccount } from '../helpers/bridge.js';
import { apiExamples, compactJson, compactXml, readContract } from './legacy/contracts.js';

// Real statuses (BRIDGE_LEGACY_STATUSES=http) unless a test says otherwise; the original mode's
// answers are in test/edge/legacy-statuses.test.ts.
const current = useTestBridge({ BRIDGE_LEGACY_STATUSES: 'http' });
const sim = () => current().simulator!;
const offeringsOf = (id: string) => sim().account(id)!.offerings.map((o) => `${o.name}:${o.quantity ?? 1}`).sort();
const packageOf = (id: string) => packageOfAccount(current(), id);
const totalWrites = () =>
  Object.values(DEMO.accounts).reduce((n, id) => n + sim().writes(id).offerings + sim().writes(id).state, 0);
const docs = apiExamples(readContract('seeds/003_7b30537831e4d720.txt'));


const get = (call: string, query: string) => request(current().url).get(`/apiv2/${call}?${query}`);
const post = (call: string, form: string) =>
  request(current().url).post(`/apiv2/${call}`).type('form').send(form);

describe('the documented examples', () => {
  it('2012 GET form: immediate_upgrade to Basic answers success and moves the customer', async () => {
    const res = await get(
      'reseller.account.json',
      `${AUTH}&task=immediate_upgrade&package=Basic%20Package&user=customer@example.com&ip_group[]=Reseller%20Group`,
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.text).toBe('{"message":"success"}');
    expect(packageOf(DEMO.accounts['customer@example.com'])).toBe('org.ei.basic.v1');
  });

  it('its POST twin in XML, to Silver, answers the documented XML', async () => {
    const res = await post(
      'reseller.account.xml',
      `${AUTH}&task=immediate_upgrade&package=Silver Package&user=customer@example.com&ip_group[]=Reseller Group`,
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/xml; charset=ISO-8859-1');
    expect(compactXml(res.text)).toBe(
      `<?xml version="1.0" encoding="ISO-8859-1"?>${compactXml(docs.get('upgrade')!.xml[0]!)}`,
    );
    expect(packageOf(DEMO.accounts['customer@example.com'])).toBe('org.ei.silver.v1');
  });

  it.each([
    ['downgrade', 'user4', 'immediate_downgrade&package=Basic Package&user=user4&ip_group[]=Reseller Group', 'org.ei.basic.v1'],
    ['close', 'user5', 'immediate_close&user=user5&ip_group[]=Reseller Group', 'org.ei.free.v1'],
  ] as const)('%s answers the documented JSON and XML', async (example, user, task, target) => {
    const json = await post('reseller.account.json', `${AUTH}&task=${task}`);
    expect(compactJson(json.text)).toBe(compactJson(docs.get(example)!.json[0]!));
    expect(packageOf(DEMO.accounts[user])).toBe(target);
    const xml = await post('reseller.account.xml', `${AUTH}&task=${task}`); // the retry: already there
    expect(compactXml(xml.text)).toBe(`<?xml version="1.0" encoding="ISO-8859-1"?>${compactXml(docs.get(example)!.xml[0]!)}`);
  });

  it('close keeps add-ons not marked drop_on_close and drops the dedicated IP', async () => {
    await post('reseller.account.json', `${AUTH}&task=immediate_close&user=user5`).expect(200);
    expect(offeringsOf(DEMO.accounts.user5)).toEqual(['org.ei.expert_services.v1:1', 'org.ei.free.v1:1']);
  });

  it('upgrade to Gold with ip[] sets the dedicated-IP add-on to the number of IPs', async () => {
    await get(
      'reseller.account.json',
      `${AUTH}&task=immediate_upgrade&package=Gold%20Package&user=user4&ip[]=255.255.255.0&ip[1]=255.255.254.0`,
    ).expect(200, '{"message":"success"}');
    expect(offeringsOf(DEMO.accounts.user4)).toEqual([
      'org.ei.addon.dedicated_ip.v1:2',
      'org.ei.gold.v1:1',
      'org.mc.basic.v1:1',
    ]);
    // Those IPs are now user4's: nobody else may take them.
    const taken = await get('reseller.account.json', `${AUTH}&task=immediate_upgrade&package=Gold%20Package&user=customer@example.com&ip=255.255.255.0`);
    expect(taken.status).toBe(400);
    expect(taken.body.errors).toEqual(['IP 255.255.255.0 is already assigned to another customer']);
  });

  it('overview shows what v3 and the store truthfully give', async () => {
    const res = await get('reseller.account.json', `${AUTH}&task=overview&user=user4`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['package', 'credits_allowed', 'billing_start_date', 'billing_end_date', 'billing_process_date']);
    expect(res.body.package).toBe('Silver Package');
    expect(res.body.credits_allowed).toBe('100000');
    expect(res.body.billing_process_date).toMatch(/^\d{4}-\d{2}-30$/); // user4's account was created on a 30th
  });
});

describe('validation: every problem at once, 400, nothing changed', () => {
  it.each([
    ['a missing user', 'task=immediate_upgrade&package=Basic%20Package', ['user is required']],
    ['an unknown user', 'task=immediate_upgrade&package=Basic%20Package&user=nobody', ['User not found: nobody']],
    ['a missing package', 'task=immediate_upgrade&user=user4', ['package is required']],
    ['an unknown package', 'task=immediate_downgrade&user=user4&package=Bronze', ['Package "Bronze" does not exist']],
    ['a rank violation', 'task=immediate_upgrade&user=user4&package=Basic%20Package', ['Basic Package is not an upgrade from Silver Package']],
    ['a free customer downgrading', 'task=immediate_downgrade&user=customer@example.com&package=Basic%20Package', ['Free customers cannot be downgraded']],
    ['Gold without an IP', 'task=immediate_upgrade&user=user4&package=Gold%20Package', ['Gold Package requires a dedicated IP: send ip[] with one of your free IPs']],
    ['an IP that is not the reseller’s', 'task=immediate_upgrade&user=user4&package=Gold%20Package&ip[]=1.2.3.4', ['IP 1.2.3.4 is not one of your IPs']],
    ['an unknown IP group', 'task=immediate_close&user=user4&ip_group[]=Nope', ['IP group "Nope" does not exist']],
    ['a bracketed scalar', 'task=immediate_close&user[]=user4', ['user must be a single value']],
    [
      'several at once',
      'task=immediate_upgrade&user=nobody&package=Bronze&ip_group[]=Nope',
      ['User not found: nobody', 'Package "Bronze" does not exist', 'IP group "Nope" does not exist'],
    ],
  ])('%s', async (_name, query, expected) => {
    const res = await get('reseller.account.json', `${AUTH}&${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'error', errors: expected });
    expect(totalWrites()).toBe(0);
  });

  it('answers errors in XML with the documented shape', async () => {
    const res = await get('reseller.account.xml', `${AUTH}&task=immediate_upgrade&user=user4`);
    expect(res.status).toBe(400);
    expect(res.text).toBe(
      '<?xml version="1.0" encoding="ISO-8859-1"?>\n<result><message>error</message><errors><error>package is required</error></errors></result>',
    );
  });

  it('echoes a username outside ISO-8859-1 as character references in XML', async () => {
    const res = await get('reseller.account.xml', `${AUTH}&task=overview&user=${encodeURIComponent('jürgen→€')}`)
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(400);
    const bytes = res.body as Buffer;
    expect(bytes.includes(Buffer.from('User not found: j\xfcrgen&#8594;&#8364;', 'latin1'))).toBe(true);
  });

  it('answers another reseller’s customer exactly like an unknown one', async () => {
    const theirs = await get('reseller.account.json', `${AUTH}&task=immediate_close&user=customer@second.example`);
    const unknown = await get('reseller.account.json', `${AUTH}&task=immediate_close&user=nobody@second.example`);
    expect(theirs.status).toBe(unknown.status);
    expect(theirs.text).toBe(unknown.text.replace('nobody@second.example', 'customer@second.example'));
    expect(sim().writes(DEMO.accounts['customer@second.example']).offerings).toBe(0);
  });

  it('can answer errors with HTTP 200 for resellers whose clients need it', async () => {
    const res = await get('reseller.account.json', `api_user=${DEMO.secondApiUser}&api_key=${DEMO.secondPassword}&task=immediate_close&user=nobody`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'error', errors: ['User not found: nobody'] });
  });
});

describe('authentication, precedence and methods', () => {
  const denied = '{"error":{"code":401,"message":"Permission denied, wrong credentials"}}';
  it.each([
    ['a wrong password', 'api_user=your_sendgrid_username&api_key=wrong', {}],
    ['an unknown api_user', 'api_user=nobody&api_key=your_sendgrid_password', {}],
    ['no credentials', '', {}],
    ['api_user=apikey with a wrong key', 'api_user=apikey&api_key=SG.wrong', {}],
    ['a wrong Bearer key', '', { Authorization: 'Bearer SG.wrong' }],
  ])('%s → 401', async (_name, auth, headers) => {
    const res = await request(current().url).get(`/apiv2/reseller.account.json?${auth}&task=overview&user=user4`).set(headers);
    expect(res.status).toBe(401);
    expect(res.text).toBe(denied);
  });

  it.each([
    ['api_user=apikey + the v3 key', `api_user=apikey&api_key=${DEMO.key}`, {}],
    ['Authorization: Bearer', '', { Authorization: `Bearer ${DEMO.key}` }],
  ])('%s authenticates', async (_name, auth, headers) => {
    const res = await request(current().url).get(`/apiv2/reseller.account.json?${auth}&task=overview&user=user4`).set(headers);
    expect(res.status).toBe(200);
  });

  it('401 in XML', async () => {
    const res = await get('reseller.pending.xml', 'api_user=x&api_key=y&task=list');
    expect(res.status).toBe(401);
    expect(res.text).toBe(
      '<?xml version="1.0" encoding="ISO-8859-1"?>\n<result><error><code>401</code><message>Permission denied, wrong credentials</message></error></result>',
    );
  });

  it.each([
    ['an unknown module, even unauthenticated', 'GET', '/apiv2/reseller.invoice.json?task=list', 404],
    ['an unknown format', 'GET', `/apiv2/reseller.account.csv?${AUTH}&task=overview&user=user4`, 404],
    ['bad credentials before an unknown task', 'GET', '/apiv2/reseller.account.json?api_user=x&api_key=y&task=nope', 401],
    ['an unknown task', 'GET', `/apiv2/reseller.account.json?${AUTH}&task=nope`, 404],
    ['a missing task', 'GET', `/apiv2/reseller.pending.json?${AUTH}`, 404],
    ['an inherited property name as task', 'GET', `/apiv2/reseller.pending.json?${AUTH}&task=constructor`, 404],
    ['another method', 'PUT', `/apiv2/reseller.account.json?${AUTH}&task=overview&user=user4`, 404],
    ['DELETE', 'DELETE', `/apiv2/reseller.pending.json?${AUTH}&task=delete&user=user4`, 404],
  ])('%s: %s %s', async (_name, method, path, status) => {
    const res = await request(current().url)[method.toLowerCase() as 'get'](path);
    expect(res.status).toBe(status);
    if (status === 404) expect(res.text).toMatch(/Not found/);
    expect(res.headers['content-type']).not.toMatch(/html/);
  });

  it('no suffix means JSON, and unknown paths answer JSON', async () => {
    expect((await get('reseller.account', `${AUTH}&task=overview&user=user4`)).headers['content-type']).toBe('application/json');
    const res = await request(current().url).get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.text).toBe('{"error":{"code":404,"message":"Not found"}}');
  });

  it('an oversized body gets a legacy 413, never HTML', async () => {
    const res = await post('reseller.account.json', `${AUTH}&task=overview&user=user4&pad=${'x'.repeat(70_000)}`);
    expect(res.status).toBe(413);
    expect(res.body.message).toBe('error');
  });

  it('multipart bodies work like urlencoded ones', async () => {
    const res = await request(current().url)
      .post('/apiv2/reseller.account.json')
      .field('api_user', DEMO.apiUser)
      .field('api_key', DEMO.password)
      .field('task', 'immediate_upgrade')
      .field('package', 'Basic Package')
      .field('user', 'customer@example.com');
    expect(res.text).toBe('{"message":"success"}');
  });
});

describe('upstream failures and retries', () => {
  it.each([
    ['v3 answering 500', () => sim().faults.errorRate(1, 500), 502],
    ['v3 answering 503', () => sim().faults.errorRate(1, 503), 503],
    ['v3 rate limiting beyond the deadline', () => sim().faults.rateLimit({ retryAfterSeconds: 120 }), 503],
    ['v3 down', () => sim().faults.down('reset'), 503],
  ])('%s, nothing written', async (_name, fault, status) => {
    fault();
    const res = await get('reseller.account.json', `${AUTH}&task=immediate_upgrade&package=Basic%20Package&user=customer@example.com`);
    sim().faults.clear();
    expect(res.status).toBe(status);
    expect(res.body.message).toBe('error');
    expect(res.body.errors[0]).toMatch(/safe to retry/);
    expect(totalWrites()).toBe(0);
    expect(packageOf(DEMO.accounts['customer@example.com'])).toBe('org.ei.free.v1');
  });

  it('a PUT that times out after being applied is answered as success', async () => {
    const slow = await startTestBridge({}, { upstream: { headersTimeoutMs: 300, bodyTimeoutMs: 300, maxAttempts: 1 } });
    try {
      slow.simulator!.faults.answerLate(1_500);
      const res = await request(slow.url).get(
        `/apiv2/reseller.account.json?${AUTH}&task=immediate_upgrade&package=Basic%20Package&user=customer@example.com`,
      );
      expect(res.text).toBe('{"message":"success"}');
      expect(slow.simulator!.writes(DEMO.accounts['customer@example.com']).offerings).toBe(1);
      const audit = await slow.store.listAudit({});
      expect(audit.at(-1)).toMatchObject({ action: 'immediate_upgrade', outcome: 'applied' });
    } finally {
      await slow.stop();
    }
  });

  it('two concurrent changes of one customer lose no add-on', async () => {
    const id = DEMO.accounts.user4;
    sim().faults.latency(30);
    const [a, b] = await Promise.all([
      get('reseller.account.json', `${AUTH}&task=immediate_upgrade&package=Gold%20Package&user=user4&ip[]=255.255.255.0`),
      get('reseller.account.json', `${AUTH}&task=immediate_downgrade&package=Basic%20Package&user=user4`),
    ]);
    // The lock orders them; either order is an upgrade and a downgrade that both succeed.
    expect([a.status, b.status]).toEqual([200, 200]);
    // Whatever the order, the marketing add-on survived and the IP add-on matches the last PUT.
    const final = offeringsOf(id);
    expect(final).toContain('org.mc.basic.v1:1');
    expect(final.filter((o) => o.includes('dedicated_ip'))).toEqual(['org.ei.addon.dedicated_ip.v1:1']);
  });
});

describe('requests the HTTP parser rejects', () => {
  it('a raw space in the URL (as some doc renderings show it) gets a legacy 400, not HTML', async () => {
    const { connect } = await import('node:net');
    const port = Number(new URL(current().url).port);
    const raw = await new Promise<string>((done) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(`GET /apiv2/reseller.account.json?${AUTH}&task=immediate_upgrade&package=Basic Package&user=customer@example.com HTTP/1.1\r\nHost: x\r\n\r\n`),
      );
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('close', () => done(text));
    });
    expect(raw).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(raw).toMatch(/Content-Type: application\/json\r\n/);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({
      message: 'error',
      errors: ['Malformed HTTP request: encode spaces in the URL as %20 or +'],
    });
  });
});
