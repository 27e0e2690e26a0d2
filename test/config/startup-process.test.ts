// `npm start`'s process with a wrong configuration: exit 2, one plain line per problem on stderr,
// no stack trace, nothing "listening" before a conflict is known; and a right one's start-up line.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entries, runNode, startNode, startNpm } from '../../harness/processes.js';
import { demoMappings } from '../helpers/bridge.js';

let dir: string;
let nonDemo: string;
let taken: Server;
let takenPort: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-startup-'));
  nonDemo = join(dir, 'mappings');
  cpSync(demoMappings, nonDemo, { recursive: true });
  rmSync(join(nonDemo, 'simulator.json'));
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  takenPort = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

let nextDb = 0;
const env = (extra: Record<string, string>) => ({
  HOST: '127.0.0.1',
  PORT: '0',
  SIMULATOR_PORT: '0',
  ADMIN_PORT: '0',
  BRIDGE_SCHEDULER: 'off',
  BRIDGE_DB: join(dir, `bridge-${nextDb++}.db`),
  ...extra,
});

describe('a wrong configuration stops the bridge with exit 2 and one line per problem', () => {
  it.each<[string, () => Record<string, string>, () => string[]]>([
    ['an unknown LOG_LEVEL', () => ({ LOG_LEVEL: 'verbose' }), () => ['LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"']],
    [
      'neither the URL nor the keys, and a bad PORT',
      () => ({ BRIDGE_MAPPINGS: nonDemo, PORT: 'abc' }),
      () => [
        'PORT must be an integer from 0 to 65535 (0 takes a free port); got "abc"',
        `SENDGRID_API_URL is required: ${join(nonDemo, 'simulator.json')} (the demo world) is absent, so there is no simulator to default to`,
        'SENDGRID_API_KEY (the v3 key of reseller "your_sendgrid_username") is not set: a real upstream needs every reseller\'s key',
        'SECOND_RESELLER_API_KEY (the v3 key of reseller "second_reseller") is not set: a real upstream needs every reseller\'s key',
      ],
    ],
    ['a database under a file', () => ({ BRIDGE_DB: '/etc/passwd/bridge.db' }), () => ['BRIDGE_DB /etc/passwd/bridge.db cannot be created: /etc/passwd is a file, not a folder']],
    [
      'a database folder that cannot be made',
      () => ({ BRIDGE_DB: '/proc/nope/bridge.db' }),
      () => ['BRIDGE_DB /proc/nope/bridge.db cannot be created: the folder /proc/nope cannot be made (ENOENT)'],
    ],
    [
      'PORT in use',
      () => ({ PORT: String(takenPort) }),
      () => [`PORT ${takenPort} (on 127.0.0.1) is already in use by another process: stop it, or set PORT to a free port`],
    ],
    [
      'ADMIN_PORT in use',
      () => ({ ADMIN_PORT: String(takenPort) }),
      () => [`ADMIN_PORT ${takenPort} (on 127.0.0.1) is already in use by another process: stop it, or set ADMIN_PORT to a free port`],
    ],
    [
      'PORT and ADMIN_PORT both in use: both named in one run',
      () => ({ PORT: String(takenPort), ADMIN_PORT: String(takenPort) }),
      () => [
        `PORT ${takenPort} (on 127.0.0.1) is already in use by another process: stop it, or set PORT to a free port`,
        `ADMIN_PORT ${takenPort} (on 127.0.0.1) is already in use by another process: stop it, or set ADMIN_PORT to a free port`,
      ],
    ],
    [
      'SIMULATOR_PORT in use',
      () => ({ SIMULATOR_PORT: String(takenPort) }),
      () => [`SIMULATOR_PORT ${takenPort} (on 127.0.0.1) is already in use by another process: stop it, or set SIMULATOR_PORT to a free port`],
    ],
  ])('%s', async (_name, extra, lines) => {
    const run = await runNode(entries.bridge, { env: env(extra()) });
    expect(run.stderr).toBe(lines().map((line) => `${line}\n`).join(''));
    expect(run.code).toBe(2);
    expect(run.stdout).not.toContain('listening');
  });

  it('`npm start` itself exits 2 with the one line naming LOG_LEVEL, no stack trace', async () => {
    const npm = startNpm(['start', '--ignore-scripts'], { env: env({ LOG_LEVEL: 'verbose' }) });
    const { code } = await npm.exited;
    expect(code).toBe(2);
    const ours = npm.stderr().split('\n').filter((line) => line.includes('LOG_LEVEL'));
    expect(ours).toEqual(['LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"']);
    expect(npm.output()).not.toMatch(/^\s+at /m);
  });
});

describe('the start-up line', () => {
  it('says what runs: upstream, store, mappings and their counts, scheduler, listeners', async () => {
    const bridge = startNode(entries.bridge, { env: env({}) });
    try {
      const [line] = await bridge.waitForOutput(/^.*"msg":"bridge listening".*$/m);
      const summary = JSON.parse(line);
      expect(summary).toMatchObject({
        upstream: expect.stringMatching(/^embedded simulator http:\/\/127\.0\.0\.1:\d+$/),
        store: expect.stringMatching(/^sqlite .*bridge-\d+\.db$/),
        mappings: './mappings',
        resellers: 2,
        customers: 6,
        directories: 1,
        scheduler: 'off',
        listeners: {
          legacy: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
          admin: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
          simulator: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        },
      });
      expect(summary.url).toBe(summary.listeners.legacy);
      // The simulator says it listens only once every port is the bridge's.
      const output = bridge.stdout();
      expect(output.indexOf('embedded v3 simulator listening')).toBeGreaterThan(-1);
      expect(output.indexOf('embedded v3 simulator listening')).toBeLessThan(output.indexOf('"msg":"bridge listening"'));
    } finally {
      await bridge.stop();
    }
  });
});
