// openapi.json, the bridge's own OpenAPI 3.1 description: valid for a maintained validator,
// served by the admin listener, complete for the admin routes, and true to the bridge's answers.
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { adminRoutes } from '../../src/admin/routes.js';
import { accountTasks } from '../../src/edge/apiv2/account-tasks.js';
import { pendingTasks } from '../../src/edge/apiv2/pending-tasks.js';
import { answerProblems, curlProblems, findOperation, openApi, openApiFile } from '../helpers/bridge-openapi.js';
import { AUTH, useTestBridge } from '../helpers/bridge.js';

const TOKEN = `Token token="aaaabbbbccccddddeeeeffff11112222"`;
const bridge = useTestBridge();

describe('openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(openApi);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('the validator refuses a broken document (the check can fail)', async () => {
    const broken = structuredClone(openApi);
    broken.paths['/livez'].get.responses = { 200: { content: {} } }; // a response without its description
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it("declares exactly the tasks each legacy module dispatches, in the query and in the form", () => {
    for (const [module, tasks] of [['account', accountTasks], ['pending', pendingTasks]] as const) {
      for (const path of [`/apiv2/reseller.${module}`, `/apiv2/reseller.${module}.{format}`])
        for (const method of ['get', 'post']) {
          const operation = openApi.paths[path][method];
          const query = operation.parameters.find((p: { name?: string }) => p.name === 'task');
          expect(query.schema.enum, `${method} ${path}`).toEqual(Object.keys(tasks));
          if (method === 'post')
            for (const media of ['application/x-www-form-urlencoded', 'multipart/form-data'])
              expect(operation.requestBody.content[media].schema.properties.task.enum, `${path} ${media}`).toEqual(Object.keys(tasks));
        }
    }
  });

  it('is served on the admin listener, byte for byte', async () => {
    const answer = await fetch(`${bridge().admin!.url}/openapi.json`);
    expect([answer.status, answer.headers.get('content-type')]).toEqual([200, 'application/json; charset=utf-8']);
    expect(await answer.text()).toBe(readFileSync(openApiFile, 'utf8'));
  });

  it('describes every route of the admin listener, and each answers as described', async () => {
    const b = bridge();
    const served = routePaths(adminRoutes({ config: b.config, store: b.store, now: () => new Date(), metrics: b.metrics }));
    expect(served.length).toBeGreaterThan(5);
    for (const path of served) expect(findOperation('GET', path), path).toBeDefined();
    for (const path of served) {
      const answer = await request(b.admin!.url).get(path);
      expect(answerProblems('GET', path, answer.status, answer.headers['content-type'], answer.text), path).toEqual([]);
    }
  });
});

/** The GET paths an Express router serves, nested routers included. */
function routePaths(router: { stack: any[] }): string[] {
  return router.stack.flatMap((layer) =>
    layer.route ? (layer.route.methods.get ? [layer.route.path as string] : []) : layer.handle?.stack ? routePaths(layer.handle) : [],
  );
}

describe('the bridge answers as openapi.json describes', () => {
  const form = (b: ReturnType<typeof bridge>, path: string, body: string) => request(b.url).post(path).type('form').send(body);
  const cases: [string, (b: ReturnType<typeof bridge>) => request.Test, string, number][] = [
    ['overview (JSON)', (b) => form(b, '/apiv2/reseller.account.json', `${AUTH}&task=overview&user=user4`), '/apiv2/reseller.account.json', 200],
    ['overview (XML)', (b) => form(b, '/apiv2/reseller.account.xml', `${AUTH}&task=overview&user=user4`), '/apiv2/reseller.account.xml', 200],
    ['a scheduled downgrade', (b) => form(b, '/apiv2/reseller.account', `${AUTH}&task=scheduled_downgrade&package=Basic Package&user=user4`), '/apiv2/reseller.account', 200],
    ['a dry run', (b) => form(b, '/apiv2/reseller.account.json', `${AUTH}&task=immediate_close&user=user5`).set('X-Bridge-Dry-Run', '1'), '/apiv2/reseller.account.json', 200],
    ['the pending list', (b) => request(b.url).get(`/apiv2/reseller.pending.json?${AUTH}&task=list`), '/apiv2/reseller.pending.json', 200],
    ['bad parameters', (b) => form(b, '/apiv2/reseller.account.json', `${AUTH}&task=immediate_upgrade&user=nobody`), '/apiv2/reseller.account.json', 200],
    ['wrong credentials', (b) => form(b, '/apiv2/reseller.pending.json', 'api_user=x&api_key=y&task=list'), '/apiv2/reseller.pending.json', 200],
    ['a directory change', (b) => request(b.url).get('/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?package_name=platinum20').set('Authorization', TOKEN), '/v1/partners/accounts/88pzdbz1hmkdoel4/change_package', 200],
    ['a directory 422', (b) => request(b.url).get('/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?package_name=bogus').set('Authorization', TOKEN), '/v1/partners/accounts/88pzdbz1hmkdoel4/change_package', 422],
    ['a directory 401', (b) => request(b.url).get('/v1/partners/accounts/88pzdbz1hmkdoel4/change_package'), '/v1/partners/accounts/88pzdbz1hmkdoel4/change_package', 401],
    ['/livez', (b) => request(b.url).get('/livez'), '/livez', 200],
    ['/readyz', (b) => request(b.url).get('/readyz'), '/readyz', 200],
    ['/healthz', (b) => request(b.url).get('/healthz'), '/healthz', 200],
  ];

  it.each(cases)('%s', async (_name, send, path, status) => {
    const b = bridge();
    const answer = await send(b);
    expect(answer.status).toBe(status);
    const method = (answer as unknown as { req: { method: string } }).req.method;
    expect(answerProblems(method, path, answer.status, answer.headers['content-type'], answer.text)).toEqual([]);
  });

  it('a legacy error in the http status mode answers its declared status and shape', async () => {
    const b = bridge();
    const answer = await request(b.url).get('/apiv2/reseller.bogus.json');
    expect(answerProblems('GET', '/apiv2/reseller.account.json', 404, answer.headers['content-type'], answer.text)).toEqual([]);
    // The schemas are strict: an answer with an undeclared field is caught.
    expect(answerProblems('GET', '/apiv2/reseller.account.json', 200, 'application/json', '{"message":"success","extra":1}')).not.toEqual([]);
  });
});

describe('curl lines against openapi.json', () => {
  it.each([
    ['a documented call', `curl -s localhost:3000/apiv2/reseller.pending.json -d 'api_user=u&api_key=p&task=list'`, []],
    ['an unknown task', `curl -s localhost:3000/apiv2/reseller.pending.json -d 'api_user=u&api_key=p&task=purge'`, ['POST /apiv2/reseller.pending.{format}: task=purge is not one of list, delete']],
    ['an undeclared parameter', `curl -sg 'localhost:3000/apiv2/reseller.account.json?task=overview&colour=red'`, ['GET /apiv2/reseller.account.{format}: query parameter colour is not declared']],
    ['an unknown path', `curl -s localhost:3000/apiv2/reseller.invoice.json`, ['GET /apiv2/reseller.invoice.json: no such operation in openapi.json']],
    ['an unknown format', `curl -s localhost:3000/apiv2/reseller.account.yaml`, ['GET /apiv2/reseller.account.yaml: no such operation in openapi.json']],
    ['an admin route on the main port', `curl -s localhost:3000/metrics`, ['GET /metrics: served on http://localhost:3002, not localhost:3000']],
    ['list forms of ip[]', `curl -s localhost:3000/apiv2/reseller.account.json -d 'task=immediate_upgrade&ip[0]=1.2.3.4&ip=1.2.3.5'`, []],
    ['an undeclared header', `curl -s -H 'X-Colour: red' localhost:3000/livez`, ['GET /livez: header x-colour is not declared']],
  ])('%s', (_name, line, expected) => {
    expect(curlProblems(line)).toEqual(expected);
  });
});
