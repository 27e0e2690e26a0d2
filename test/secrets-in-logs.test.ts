// Starts the bridge as its own process with every secret set to a known marker, drives every
// auth style and failure, and searches all of its output for the markers.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entries, startNode, type NodeProcess } from '../harness/processes.js';

const SECRETS = {
  v3Key: 'SG.MARKER-v3-key-3f9c1d',
  secondV3Key: 'SG.demo-second-reseller-key', // the demo seed fixes it: searched for all the same
  password: 'your_sendgrid_password',
  secondPassword: 'second_reseller_password',
  wrongPassword: 'MARKER-wrong-password-81ab',
  wrongKey: 'SG.MARKER-wrong-key-55e2',
  token: 'aaaabbbbccccddddeeeeffff11112222',
  wrongToken: 'MARKER0wrong0token0c0ffee000000',
  adminToken: 'MARKER-admin-token-9d41c7e2',
  wrongAdminToken: 'MARKER-wrong-admin-token-06b3',
};
// Both listen on free ports (0) and say where in their first log lines.
let bridgeUrl = '';
let simUrl = '';
let adminUrl = '';

let dir: string;
let bridge: NodeProcess;
let failing: NodeProcess | undefined;

const start = (env: Record<string, string>): NodeProcess => startNode(entries.bridge, { name: 'bridge', env });
/** Everything every bridge process of this file printed. */
const output = () => bridge.output() + (failing?.output() ?? '');

const legacy = (query: string, init: RequestInit = {}) => fetch(`${bridgeUrl}/apiv2/reseller.account.json?${query}`, init);
const form = (body: string) =>
  fetch(`${bridgeUrl}/apiv2/reseller.account.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
const directory = (authorization: string) =>
  fetch(`${bridgeUrl}/v1/partners/accounts/88pzdbz1hmkdoel4/change_package?package_name=platinum20`, { headers: { authorization } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-secrets-'));
  bridge = start({
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATOR_PORT: '0',
    ADMIN_PORT: '0',
    BRIDGE_ADMIN_TOKEN: SECRETS.adminToken,
    BRIDGE_DB: join(dir, 'bridge.db'),
    SENDGRID_API_KEY: SECRETS.v3Key,
    SIMULATOR_API_KEY: SECRETS.v3Key,
    LOG_LEVEL: 'trace',
    BRIDGE_LEGACY_STATUSES: 'http', // real statuses, so each exchange below is told apart by its status
  });
  [bridgeUrl, simUrl, adminUrl] = await Promise.all([
    bridge.waitForLoggedUrl('bridge listening'),
    bridge.waitForLoggedUrl('embedded v3 simulator listening'),
    bridge.waitForLoggedUrl('admin listening'),
  ]);
}, 60_000);

afterAll(async () => {
  await bridge?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('no secret reaches the logs', () => {
  it('drives every auth style and failure, then finds no marker in any output', async () => {
    const user = 'api_user=your_sendgrid_username';
    const statuses = [
      (await legacy(`${user}&api_key=${SECRETS.password}&task=overview&user=user4`)).status,
      (await form(`${user}&api_key=${SECRETS.password}&task=overview&user=user4`)).status,
      (await legacy(`api_user=second_reseller&api_key=${SECRETS.secondPassword}&task=overview&user=nobody`)).status,
      (await legacy(`${user}&api_key=${SECRETS.wrongPassword}&task=overview&user=user4`)).status,
      (await form(`api_user=nobody&api_key=${SECRETS.wrongPassword}&task=overview`)).status,
      (await legacy(`api_user=apikey&api_key=${SECRETS.v3Key}&task=overview&user=user4`)).status,
      (await legacy(`api_user=apikey&api_key=${SECRETS.wrongKey}&task=overview&user=user4`)).status,
      (await legacy('task=overview&user=user4', { headers: { authorization: `Bearer ${SECRETS.v3Key}` } })).status,
      (await legacy('task=overview&user=user4', { headers: { authorization: `Bearer ${SECRETS.wrongKey}` } })).status,
      (await directory(`Token token="${SECRETS.token}"`)).status,
      (await directory(`Token token="${SECRETS.wrongToken}"`)).status,
      (await directory(`Bearer ${SECRETS.token}`)).status,
      (await form(`${user}&api_key=${SECRETS.password}&task=overview&pad=${'x'.repeat(70_000)}`)).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 401, 401, 200, 401, 200, 401, 200, 401, 401, 413]);
    const admin = (token: string) => fetch(`${adminUrl}/no-such-route`, { headers: { authorization: `Bearer ${token}` } });
    expect([(await admin(SECRETS.adminToken)).status, (await admin(SECRETS.wrongAdminToken)).status]).toEqual([404, 401]);

    // Upstream failures are logged with their errors: still no secret.
    await fetch(`${simUrl}/_simulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"errorRate":1,"errorStatus":500}' });
    expect((await legacy(`${user}&api_key=${SECRETS.password}&task=immediate_close&user=user5`)).status).toBe(502);
    expect((await directory(`Token token="${SECRETS.token}"`)).status).toBe(502);
    await fetch(`${simUrl}/_simulator/faults`, { method: 'DELETE' });

    // A request the HTTP parser rejects, carrying a key in its URL.
    const raw = await new Promise<string>((done) => {
      const socket = connect(Number(new URL(bridgeUrl).port), '127.0.0.1', () =>
        socket.write(`GET /apiv2/reseller.account.json?api_key=${SECRETS.password}&package=Basic Package HTTP/1.1\r\nHost: x\r\n\r\n`),
      );
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('close', () => done(text));
    });
    expect(raw).toMatch(/^HTTP\/1.1 400/);
    expect(raw).not.toContain(SECRETS.password);

    // A start-up that fails on configuration, with a key set.
    failing = start({ SENDGRID_API_URL: 'https://api.example.invalid', SENDGRID_API_KEY: SECRETS.v3Key, BRIDGE_DB: join(dir, 'other.db') });
    const code = (await failing.exited).code;
    expect(code).toBe(2);
    expect(output()).toMatch(/SECOND_RESELLER_API_KEY/);

    // Stopped, the bridge has flushed its last log lines.
    await bridge.stop();
    expect(output().match(/"msg":"request"/g)?.length ?? 0).toBeGreaterThanOrEqual(statuses.length);
    for (const [name, secret] of Object.entries(SECRETS)) expect(output().includes(secret), name).toBe(false);
  }, 60_000);
});
