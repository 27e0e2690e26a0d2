// Start-up configuration: every problem is reported with the file (or variable), the field and
// what is wrong, and the bridge refuses to start rather than guess.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    [{ PORT: 'abc' }, 'PORT must be an integer from 0 to 65535 (0 takes a free port); got "abc"'],
    [{ PORT: '70000' }, 'PORT must be an integer from 0 to 65535 (0 takes a free port); got "70000"'],
    [{ SIMULATOR_PORT: '3.5' }, 'SIMULATOR_PORT must be an integer from 0 to 65535 (0 takes a free port); got "3.5"'],
    [{ SENDGRID_API_URL: 'ftp://example.com', SENDGRID_API_KEY: 'SG.a', SECOND_RESELLER_API_KEY: 'SG.b' }, 'SENDGRID_API_URL must be an http(s) URL or "simulator"'],
    [{ DATABASE_URL: 'mysql://user:secret@x' }, 'DATABASE_URL must be a postgres:// URL'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"'],
    [{ BRIDGE_SCHEDULER: 'yes' }, 'BRIDGE_SCHEDULER must be one of on, off; got "yes"'],
    [{ SENDGRID_RATE_LIMIT: '-1' }, 'SENDGRID_RATE_LIMIT must be a number above 0; got "-1"'],
    [{ BRIDGE_SCHEDULER_INTERVAL_MS: '10' }, 'BRIDGE_SCHEDULER_INTERVAL_MS must be a whole number, at least 50; got "10"'],
    [{ BRIDGE_ADMIN_TOKEN: 'short-secret' }, 'BRIDGE_ADMIN_TOKEN must be at least 16 characters'],
  ])('%o: %s', (env, expected) => {
    expect(problemsOf({ BRIDGE_MAPPINGS: demoMappings, ...env })).toEqual([expected]);
  });

  it('never repeats the value of a variable that may hold a secret', () => {
    const problems = problemsOf({ BRIDGE_MAPPINGS: demoMappings, DATABASE_URL: 'mysql://user:hunter2@db', BRIDGE_ADMIN_TOKEN: 'hunter2', SENDGRID_API_URL: 'ftp://hunter2@x' });
    expect(problems.slice(0, 3)).toEqual([
      'SENDGRID_API_URL must be an http(s) URL or "simulator"',
      'DATABASE_URL must be a postgres:// URL',
      'BRIDGE_ADMIN_TOKEN must be at least 16 characters',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('the demo mappings default to the embedded simulator and its keys', () => {
    const config = loadConfig({ BRIDGE_MAPPINGS: demoMappings });
    expect(config.upstream).toEqual({ kind: 'simulator' });
    expect(config.v3Keys.get('your_sendgrid_username')).toBe('SG.demo-reseller-key');
    expect(loadConfig({ BRIDGE_MAPPINGS: demoMappings, SIMULATOR_API_KEY: 'SG.other' }).v3Keys.get('your_sendgrid_username')).toBe('SG.other');
  });

  it('reads the simulator seed only for the embedded simulator: a real upstream keeps none of its accounts', () => {
    expect(loadConfig({ BRIDGE_MAPPINGS: demoMappings }).mappings.simulatorSeed?.accounts.length).toBeGreaterThan(0);
    const real = loadConfig({
      BRIDGE_MAPPINGS: demoMappings,
      SENDGRID_API_URL: 'https://api.sendgrid.com',
      SENDGRID_API_KEY: 'SG.real-key',
      SECOND_RESELLER_API_KEY: 'SG.second-real-key',
    });
    expect(real.upstream).toEqual({ kind: 'url', url: 'https://api.sendgrid.com' });
    expect(real.mappings.simulatorSeed).toBeUndefined();
  });

  it('other mappings with neither the URL nor the keys: every problem at once', () => {
    const folder = mappingsWith(undefined, undefined, ['simulator.json']);
    expect(problemsOf({ BRIDGE_MAPPINGS: folder })).toEqual([
      `SENDGRID_API_URL is required: ${join(folder, 'simulator.json')} (the demo world) is absent, so there is no simulator to default to`,
      'SENDGRID_API_KEY (the v3 key of reseller "your_sendgrid_username") is not set: a real upstream needs every reseller\'s key',
      'SECOND_RESELLER_API_KEY (the v3 key of reseller "second_reseller") is not set: a real upstream needs every reseller\'s key',
    ]);
  });

  it('a real upstream needs every reseller’s key, named by its variable', () => {
    expect(problemsOf({ BRIDGE_MAPPINGS: demoMappings, SENDGRID_API_URL: 'https://api.sendgrid.com' })).toEqual([
      'SENDGRID_API_KEY (the v3 key of reseller "your_sendgrid_username") is not set: a real upstream needs every reseller\'s key',
      'SECOND_RESELLER_API_KEY (the v3 key of reseller "second_reseller") is not set: a real upstream needs every reseller\'s key',
    ]);
  });

  it('the commands that only read the store need no key', () => {
    const config = loadConfig({ BRIDGE_MAPPINGS: demoMappings, SENDGRID_API_URL: 'https://api.sendgrid.com' }, { upstream: false });
    expect(config.v3Keys.size).toBe(0);
    // Nor the URL: an operator's host may have only the database and the mappings.
    const folder = mappingsWith(undefined, undefined, ['simulator.json']);
    expect(loadConfig({ BRIDGE_MAPPINGS: folder }, { upstream: false }).mappings.resellers).toHaveLength(2);
  });

  it('a key the embedded simulator would refuse stops start-up', () => {
    expect(problemsOf({ BRIDGE_MAPPINGS: demoMappings, SENDGRID_API_KEY: 'SG.mismatch' })).toEqual([
      'SENDGRID_API_KEY (the v3 key of reseller "your_sendgrid_username") differs from the key the embedded simulator accepts (SIMULATOR_API_KEY or the seed\'s demo key)',
    ]);
  });

  it('the environment and the mappings are reported together', () => {
    const folder = mappingsWith('packages.json', (j) => delete j.packages[5].offering);
    expect(problemsOf({ BRIDGE_MAPPINGS: folder, PORT: 'abc', LOG_LEVEL: 'verbose' })).toEqual([
      'PORT must be an integer from 0 to 65535 (0 takes a free port); got "abc"',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"',
      `${join(folder, 'packages.json')}: package "Gold Package": offering is required`,
    ]);
  });

  it('a mappings folder that is not there is named by its variable', () => {
    expect(problemsOf({ BRIDGE_MAPPINGS: '/nonexistent/mappings' })).toEqual(['BRIDGE_MAPPINGS /nonexistent/mappings is not a folder (it does not exist)']);
  });
});

describe('BRIDGE_DB', () => {
  const dbProblems = (path: string, create = false) => {
    try {
      loadConfig({ BRIDGE_MAPPINGS: demoMappings, BRIDGE_DB: path }, { createDatabaseFolder: create });
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  it.each([
    ['/etc/passwd/bridge.db', 'BRIDGE_DB /etc/passwd/bridge.db cannot be created: /etc/passwd is a file, not a folder'],
    ['/etc/passwd/deeper/bridge.db', 'BRIDGE_DB /etc/passwd/deeper/bridge.db cannot be created: /etc/passwd is a file, not a folder'],
    ['/tmp', 'BRIDGE_DB /tmp is a folder; it must name the SQLite file (e.g. /tmp/bridge.db)'],
  ])('%s', (path, expected) => {
    expect(dbProblems(path)).toEqual([expected]);
  });

  it('a folder that cannot be made (under /proc) is reported at once, not waited on', () => {
    expect(dbProblems('/proc/nope/bridge.db', true)).toEqual([
      'BRIDGE_DB /proc/nope/bridge.db cannot be created: the folder /proc/nope cannot be made (ENOENT)',
    ]);
  });

  it('missing folders are made, level by level, only when asked', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bridge-db-'));
    folders.push(folder);
    expect(dbProblems(join(folder, 'a/b/bridge.db'))).toEqual([]);
    expect(existsSync(join(folder, 'a'))).toBe(false);
    expect(dbProblems(join(folder, 'a/b/bridge.db'), true)).toEqual([]);
    expect(existsSync(join(folder, 'a/b'))).toBe(true);
  });
});

describe('the mappings', () => {
  it.each([
    ['resellers.json', (j: any) => (j.resellers[0].password_hash = 'plain'), 'reseller "your_sendgrid_username": password_hash must be a scrypt hash from `hash-password`'],
    ['resellers.json', (j: any) => (j.resellers[1].ips = ['not-an-ip']), 'reseller "second_reseller": ips.#1 must be an IPv4 address'],
    ['resellers.json', (j: any) => delete j.resellers[1].label, 'reseller "second_reseller": label is required'],
    ['resellers.json', (j: any) => delete j.resellers[1].api_user, 'reseller #2 (unnamed): api_user is required'],
    ['resellers.json', (j: any) => j.resellers.push({ ...j.resellers[0] }), 'reseller "your_sendgrid_username" appears twice'],
    ['resellers.json', (j: any) => (j.resellers[0].extra = true), 'reseller "your_sendgrid_username": has unknown field "extra"'],
    ['resellers.json', (j: any) => (j.resellers = []), 'resellers must list at least one entry'],
    ['packages.json', (j: any) => delete j.packages[5].offering, 'package "Gold Package": offering is required'],
    ['packages.json', (j: any) => (j.packages[1].free = true), 'exactly one package must be free (the close target); "Free Package", "Basic Package" are'],
    ['packages.json', (j: any) => (j.packages[3].rank = -1), 'package "Silver Package": rank must be at least 0'],
    ['packages.json', (j: any) => (j.packages[3].rank = 'high'), 'package "Silver Package": rank must be a number'],
    ['packages.json', (j: any) => (j.version = 2), 'version must be 1'],
    ['customers.json', (j: any) => (j.customers[0].reseller = 'nobody'), 'customer "customer@example.com": reseller "nobody" is not in resellers.json'],
    ['customers.json', (j: any) => (j.customers[1].billing_day = 32), 'customer "user4": billing_day must be at most 31'],
    ['customers.json', (j: any) => delete j.customers[1].username, 'customer "sg4d2e6f8a0b1c3d5e7f9a1b3c5d7e9f04": needs a username or a business_uid'],
    ['directories.json', (j: any) => (j.directories[0].packages.gold = 'Bronze Package'), 'directory "demo-directory": packages: "gold" maps to package "Bronze Package", which packages.json does not have'],
    ['directories.json', (j: any) => (j.directories[0].token_hmac = 'aaaabbbbccccddddeeeeffff11112222'), 'directory "demo-directory": token_hmac must be 64 hex digits from `hash-token`'],
  ])('%s: %s', (file, edit, expected) => {
    const folder = mappingsWith(file, edit);
    expect(problemsOf({ BRIDGE_MAPPINGS: folder })).toEqual([`${join(folder, file)}: ${expected}`]);
  });

  it('problems of several files are reported in one run', () => {
    const folder = mappingsWith('packages.json', (j) => delete j.packages[5].offering);
    const customers = JSON.parse(readFileSync(join(folder, 'customers.json'), 'utf8'));
    customers.customers[0].reseller = 'nobody';
    writeFileSync(join(folder, 'customers.json'), JSON.stringify(customers));
    expect(problemsOf({ BRIDGE_MAPPINGS: folder })).toEqual([
      `${join(folder, 'packages.json')}: package "Gold Package": offering is required`,
      `${join(folder, 'customers.json')}: customer "customer@example.com": reseller "nobody" is not in resellers.json`,
    ]);
  });

  it('a missing file and broken JSON are named', () => {
    const missing = mappingsWith(undefined, undefined, ['packages.json']);
    expect(problemsOf({ BRIDGE_MAPPINGS: missing })).toEqual([`${join(missing, 'packages.json')}: file is missing`]);
    const broken = mappingsWith();
    writeFileSync(join(broken, 'customers.json'), '{ "version": 1, ');
    expect(problemsOf({ BRIDGE_MAPPINGS: broken })).toEqual([expect.stringMatching(/customers\.json: not valid JSON/)]);
  });
});
