// The image's production layout without a Docker engine: the Dockerfile's final stage rebuilt in a
// temporary folder (its COPY instructions, then `npm ci --omit=dev` from the lock file, as the
// build stage does), started as an unprivileged user with the image's environment, answering
// /readyz and its own HEALTHCHECK. Nothing from the devDependencies is there to be used.
// Run by `npm run test:production-layout` (and .ci/run): the install takes a minute or more.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, startCommand, stopAll, waitUntil } from '../../harness/processes.js';
import { stages } from '../deploy/dockerfile.js';

const NOBODY = 65534;
const APP = '/app';
let dir: string;

/** The final stage's COPY instructions, as (source in the project, destination in the folder). */
function runtimeCopies(): { from: string; to: string }[] {
  const copies: { from: string; to: string }[] = [];
  for (const { keyword, args } of stages().at(-1)!) {
    if (keyword !== 'COPY') continue;
    const words = args.split(/\s+/);
    const fromBuild = words.some((w) => w.startsWith('--from='));
    const paths = words.filter((w) => !w.startsWith('--'));
    const destination = paths.pop()!;
    for (const source of paths) {
      // From the build stage, /app/x is the project's x after `npm run build`; node_modules is
      // installed below from the lock file instead, the way the build stage makes it.
      const relative = fromBuild ? source.replace(`${APP}/`, '') : source;
      if (relative === 'node_modules') continue;
      const name = relative.split('/').at(-1)!;
      const target = destination.endsWith('/') || destination === './' ? join(destination, name) : destination;
      copies.push({ from: join(projectRoot, relative), to: target.replace(/^\.\//, '') });
    }
  }
  return copies;
}

/** The final stage's ENV, as one object. */
function runtimeEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stages().at(-1)!) {
    if (keyword !== 'ENV') continue;
    for (const [, name, value] of args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) env[name!] = value!.replace(/^"|"$/g, '');
  }
  return env;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-image-'));
  chmodSync(dir, 0o755); // mkdtemp makes it 0700: the unprivileged user must reach the app
  for (const { from, to } of runtimeCopies()) cpSync(from, join(dir, to), { recursive: true });
  execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, stdio: 'pipe' });
  mkdirSync(join(dir, 'data'));
  chownSync(join(dir, 'data'), NOBODY, NOBODY);
}, 600_000);

afterAll(async () => {
  await stopAll('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the production layout', () => {
  it('holds no devDependency', () => {
    const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([path, p]) => path !== '' && p.dev);
    expect(devOnly.length).toBeGreaterThan(0);
    expect(devOnly.filter(([path]) => existsSync(join(dir, path))).map(([path]) => path)).toEqual([]);
    expect(existsSync(join(dir, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(dir, 'src'))).toBe(false);
  });

  it('starts as an unprivileged user, answers /readyz and its health check, and stops on SIGTERM', async () => {
    // The image's environment, with the paths of this folder and free ports.
    const env = {
      ...runtimeEnv(),
      BRIDGE_MAPPINGS: join(dir, 'mappings'),
      BRIDGE_DB: join(dir, 'data/bridge.db'),
      HOST: '127.0.0.1',
      PORT: '0',
      SIMULATOR_PORT: '0',
      ADMIN_PORT: '0',
    };
    const node = join(dir, 'node_modules/.bin/node');
    const asNobody = { cwd: dir, uid: NOBODY, gid: NOBODY };
    // The image's CMD, run by this folder's pinned Node (the same version as the base image's).
    const [, ...args] = JSON.parse(stages().at(-1)!.find((i) => i.keyword === 'CMD')!.args) as string[];
    const bridge = startCommand(node, args, { ...asNobody, env, name: 'bridge' });
    const url = await bridge.waitForLoggedUrl('bridge listening', 60_000);
    await waitUntil('/readyz passing', async () => (await fetch(`${url}/readyz`)).status === 200, { process: bridge });
    expect(execFileSync('stat', ['-c', '%u', join(dir, 'data/bridge.db')]).toString().trim()).toBe(String(NOBODY));

    const port = new URL(url).port;
    const healthcheck = startCommand(node, ['dist/src/healthcheck.js'], { ...asNobody, env: { ...env, PORT: port }, name: 'healthcheck' });
    expect(await healthcheck.exited).toEqual({ code: 0, signal: null });

    expect(await bridge.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const failing = startCommand(node, ['dist/src/healthcheck.js'], { ...asNobody, env: { ...env, PORT: port }, name: 'healthcheck' });
    expect((await failing.exited).code).toBe(1);
  }, 120_000);
});
