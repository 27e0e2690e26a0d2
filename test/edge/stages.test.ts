// Stages injected between authentication and the task, on both surfaces: they see only
// authenticated requests, may set headers, and may answer in the task's place.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { Apiv2Stage } from '../../src/edge/apiv2/router.js';
import type { DirectoryStage } from '../../src/edge/directory/router.js';
import { errors } from '../../src/edge/legacy/index.js';
import { AUTH, DEMO, useTestBridge } from '../helpers/bridge.js';

const seen: string[] = [];
const refuseClose: Apiv2Stage = ({ reseller, task, res }) => {
  seen.push(`apiv2 ${reseller.api_user} ${task ?? '-'}`);
  res.setHeader('X-Stage', 'apiv2');
  return task === 'immediate_close' ? { status: 503, doc: errors(['closing is paused']), outcome: 'refused' } : undefined;
};
const refuseTags: DirectoryStage = ({ directory, businessUid, res, req }) => {
  seen.push(`directory ${directory.id} ${businessUid}`);
  res.setHeader('X-Stage', 'directory');
  return req.originalUrl.includes('edit_tags') ? { status: 503, message: 'tags are paused', outcome: 'refused' } : undefined;
};
const current = useTestBridge({}, { edgeStages: { apiv2: [refuseClose], directory: [refuseTags] } });
const TOKEN = 'Token token="aaaabbbbccccddddeeeeffff11112222"';

describe('injected stages', () => {
  it('run after authentication, before the task, and may answer instead of it', async () => {
    seen.length = 0;
    const refused = await request(current().url).get(`/apiv2/reseller.account.xml?${AUTH}&task=immediate_close&user=user5`);
    expect(refused.status).toBe(503);
    expect(refused.headers['x-stage']).toBe('apiv2');
    expect(refused.text).toContain('<error>closing is paused</error>');
    expect(current().simulator!.writes(DEMO.accounts.user5).offerings).toBe(0);
    const passed = await request(current().url).get(`/apiv2/reseller.account.json?${AUTH}&task=overview&user=user4`);
    expect(passed.status).toBe(200);
    expect(passed.body.package).toBe('Silver Package');
    await request(current().url).get('/apiv2/reseller.account.json?api_user=x&api_key=y&task=overview');
    expect(seen).toEqual([`apiv2 ${DEMO.apiUser} immediate_close`, `apiv2 ${DEMO.apiUser} overview`]);
  });

  it('on the directory endpoint too', async () => {
    seen.length = 0;
    const refused = await request(current().url).get('/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?edit_tags=a').set('Authorization', TOKEN);
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ message: 'tags are paused' });
    expect((await current().store.findCustomer({ businessUid: '88pzdbz1hmkdoel4' }))!.tags).toEqual([]);
    const passed = await request(current().url).get('/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?package_name=platinum20').set('Authorization', TOKEN);
    expect(passed.status).toBe(200);
    expect(passed.headers['x-stage']).toBe('directory');
    await request(current().url).get('/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?edit_tags=a');
    expect(seen).toEqual(['directory demo-directory 88pzdbz1hmkdoel4', 'directory demo-directory 88pzdbz1hmkdoel4']);
  });
});
