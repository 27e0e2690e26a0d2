// Start-up configuration: every problem is reported with the file (or variable), the field and
// what is wrong, and the bridge refuses to start rather than guess.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/errors.js';
import { demoMappings } from '../helpers/bridge.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A copy of the demo mappings, with one file edited. */
function mappingsWith(file?: string, edit?: (json: any) => void, remove: string[] = []): string {
  const folder = mkdtempSync(join(tmpdir(), 'bridge-mappings-'));
  folders.push(folder);
  cpSync(demoMappings, folder, { recursive: true });
  for (const name of remove) rmSync(join(folder, name));
  if (file && edit) {
    const json = JSON.parse(readFileSync(join(folder, file), 'utf8'));
    edit(json);
    writeFileSync(join(folder, file), JSON.stringify(json));
  }
  return folder;
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('the environment', () => {
  it.each([
    ['PORT', { PORT: 'eighty' }, /^environment: PORT: /],
    ['SENDGRID_API_URL', { SENDGRID_API_URL: 'ftp://example.com' }, /^environment: SENDGRID_API_URL: must be an http\(s\) URL or "simulator"/],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }, /^environment: DATABASE_URL: must be a postgres:\/\/ URL/],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /^environment: LOG_LEVEL: /],
    ['SENDGRID_RATE_LIMIT', { SENDGRID_RATE_LIMIT: '-1' }, /^environment: SENDGRID_RATE_LIMIT: /],
  ])('a bad %s is named', (_name, env, expected) => {
    expect(problemsOf({ BRIDGE_MAPPINGS: demoMappings, ...env })).toEqual([expect.stringMatching(expected)]);
  });

  it('the demo mappings default to the embedded simulator and its keys', () => {
    const config = loadConfig({ BRIDGE_MAPPINGS: demoMappings });
    expect(config.upstream).toEqual({ kind: 'simulator' });
    expect(config.v3Keys.get('your_sendgrid_username')).toBe('SG.demo-reseller-key');
    expect(loadConfig({ BRIDGE_MAPPINGS: demoMappings, SIMULATOR_API_KEY: 'SG.other' }).v3Keys.get('your_sendgrid_username')).toBe('SG.other');
  });

  it('other mappings require SENDGRID_API_URL rather than silently use a simulator', () => {
    const folder = mappingsWith(undefined, undefined, ['simulator.json']);
    expect(problemsOf({ BRIDGE_MAPPINGS: folder })).toEqual([
      `environment: SENDGRID_API_URL: required, since ${join(folder, 'simulator.json')} (the demo world) is absent`,
    ]);
  });

  it('a real upstream needs every reseller’s key, named by its variable', () => {
    expect(problemsOf({ BRIDGE_MAPPINGS: demoMappings, SENDGRID_API_URL: 'https://api.sendgrid.com' })).toEqual([
      'environment: SENDGRID_API_KEY (v3 key of reseller "your_sendgrid_username"): required with a real upstream',
      'environment: SECOND_RESELLER_API_KEY (v3 key of reseller "second_reseller"): required with a real upstream',
    ]);
  });

  it('a key the embedded simulator would refuse stops start-up', () => {
    expect(problemsOf({ BRIDGE_MAPPINGS: demoMappings, SENDGRID_API_KEY: 'SG.mismatch' })).toEqual([
      expect.stringMatching(/^environment: SENDGRID_API_KEY \(v3 key of reseller "your_sendgrid_username"\): differs from the key/),
    ]);
  });
});

describe('the mappings', () => {
  it.each([
    ['resellers.json', (j: any) => (j.resellers[0].password_hash = 'plain'), /resellers\.json: resellers\.0\.password_hash: must be a scrypt hash/],
    ['resellers.json', (j: any) => (j.resellers[1].ips = ['not-an-ip']), /resellers\.json: resellers\.1\.ips\.0: /],
    ['resellers.json', (j: any) => j.resellers.push({ ...j.resellers[0] }), /resellers\.json: resellers\.api_user: "your_sendgrid_username" appears twice/],
    ['packages.json', (j: any) => (j.packages[1].free = true), /packages\.json: packages\.free: exactly one package must be free/],
    ['packages.json', (j: any) => (j.packages[2].rank = -1), /packages\.json: packages\.2\.rank: /],
    ['packages.json', (j: any) => (j.version = 2), /packages\.json: version: /],
    ['customers.json', (j: any) => (j.customers[0].reseller = 'nobody'), /customers\.json: customers\.0\.reseller: unknown reseller "nobody"/],
    ['customers.json', (j: any) => (j.customers[1].billing_day = 32), /customers\.json: customers\.1\.billing_day: /],
    ['customers.json', (j: any) => delete j.customers[1].username, /customers\.json: customers\.1: needs a username or a business_uid/],
    ['directories.json', (j: any) => (j.directories[0].packages.gold = 'Bronze Package'), /directories\.json: directories\.0\.packages\.gold: unknown package "Bronze Package"/],
    ['directories.json', (j: any) => (j.directories[0].token_hmac = 'aaaabbbbccccddddeeeeffff11112222'), /directories\.json: directories\.0\.token_hmac: must be 64 hex digits/],
    ['resellers.json', (j: any) => (j.resellers[0].extra = true), /resellers\.json: resellers\.0: /],
  ])('%s: a bad field is named', (file, edit, expected) => {
    const folder = mappingsWith(file, edit);
    const problems = problemsOf({ BRIDGE_MAPPINGS: folder });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    expect(problems.every((p) => p.startsWith(join(folder, file)))).toBe(true);
  });

  it('a missing file and broken JSON are named', () => {
    const missing = mappingsWith(undefined, undefined, ['packages.json']);
    expect(problemsOf({ BRIDGE_MAPPINGS: missing })).toEqual([`${join(missing, 'packages.json')}: file is missing`]);
    const broken = mappingsWith();
    writeFileSync(join(broken, 'customers.json'), '{ "version": 1, ');
    expect(problemsOf({ BRIDGE_MAPPINGS: broken })).toEqual([expect.stringMatching(/customers\.json: not valid JSON/)]);
  });
});
