// The admin listener: a second port, loopback by default, guarded by BRIDGE_ADMIN_TOKEN when set
// (and required to be set when it listens on the network).
import { Router } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearerTokenMatches } from '../../src/admin/auth.js';
import { createAdminApp } from '../../src/admin/listener.js';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/errors.js';
import { silentLogger } from '../../src/log.js';
import { demoMappings, startTestBridge } from '../helpers/bridge.js';

const TOKEN = 'admin-token-for-tests-0123456789';

function appWith(token: string | undefined) {
  const routes = Router();
  routes.get('/ping', (_req, res) => void res.type('text/plain').send('pong'));
  return createAdminApp({ token, logger: silentLogger, routes });
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ BRIDGE_MAPPINGS: demoMappings, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the bearer token', () => {
  it.each([
    ['the token', `Bearer ${TOKEN}`, true],
    ['any case of the scheme', `bearer ${TOKEN}`, true],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`, false],
    ['the token and more', `Bearer ${TOKEN}x`, false],
    ['another scheme', `Basic ${TOKEN}`, false],
    ['an empty header', '', false],
    ['no header', undefined, false],
  ])('%s: %s', (_name, header, accepted) => {
    expect(bearerTokenMatches(header, TOKEN)).toBe(accepted);
  });

  it('guards every route, mounted ones and unknown ones alike', async () => {
    const app = appWith(TOKEN);
    const refused = await request(app).get('/ping');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(JSON.stringify(refused.body)).not.toContain(TOKEN);
    expect((await request(app).get('/ping').set('Authorization', 'Bearer wrong')).status).toBe(401);
    expect((await request(app).get('/nothing')).status).toBe(401);
    const ok = await request(app).get('/ping').set('Authorization', `Bearer ${TOKEN}`);
    expect([ok.status, ok.text]).toEqual([200, 'pong']);
  });

  it('without a token (loopback only) the routes are open', async () => {
    const ok = await request(appWith(undefined)).get('/ping');
    expect([ok.status, ok.text]).toEqual([200, 'pong']);
    const missing = await request(appWith(undefined)).get('/nothing');
    expect([missing.status, missing.body]).toEqual([404, { error: 'not found' }]);
  });
});

describe('the configuration', () => {
  it('defaults to 127.0.0.1:3002 with no token', () => {
    const { env } = loadConfig({ BRIDGE_MAPPINGS: demoMappings });
    expect([env.ADMIN_HOST, env.ADMIN_PORT, env.BRIDGE_ADMIN_TOKEN]).toEqual(['127.0.0.1', 3002, undefined]);
  });

  it.each(['0.0.0.0', '::', '10.1.2.3', 'bridge.internal'])('listening on %s requires BRIDGE_ADMIN_TOKEN', (host) => {
    expect(problemsOf({ ADMIN_HOST: host })).toEqual([
      `BRIDGE_ADMIN_TOKEN is required when ADMIN_HOST (${host}) is not a loopback address: the admin listener would be open to the network`,
    ]);
    expect(problemsOf({ ADMIN_HOST: host, BRIDGE_ADMIN_TOKEN: TOKEN })).toEqual([]);
  });

  it.each(['127.0.0.1', '127.0.0.53', 'localhost', '::1'])('%s is loopback: no token needed', (host) => {
    expect(problemsOf({ ADMIN_HOST: host })).toEqual([]);
  });

  it('a short token is refused, without echoing it', () => {
    const problems = problemsOf({ BRIDGE_ADMIN_TOKEN: 'short-secret' });
    expect(problems).toEqual(['BRIDGE_ADMIN_TOKEN must be at least 16 characters']);
    expect(problems.join('\n')).not.toContain('short-secret');
  });

  it('a bad ADMIN_PORT is named', () => {
    expect(problemsOf({ ADMIN_PORT: 'admin' })).toEqual(['ADMIN_PORT must be an integer from 0 to 65535 (0 takes a free port); got "admin"']);
  });
});

describe('in the bridge', () => {
  it('listens beside the main port, with the token, and closes with the bridge', async () => {
    const bridge = await startTestBridge({ BRIDGE_ADMIN_TOKEN: TOKEN });
    const adminUrl = bridge.admin!.url;
    try {
      expect(adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(adminUrl).not.toBe(bridge.url);
      expect((await fetch(`${adminUrl}/`)).status).toBe(401);
      const page = await fetch(`${adminUrl}/`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']); // the operator page
      expect((await fetch(`${adminUrl}/nothing-here`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      await bridge.stop();
    }
    await expect(fetch(`${adminUrl}/`)).rejects.toThrow();
  });
});
