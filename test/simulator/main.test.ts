// `npm run simulator` as its own process: `node dist/src/simulator/main.js` after a build,
// with node_modules/.bin (the pinned Node 24) first on PATH.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DEMO_KEY, demoMappingsFolder, projectRoot } from '../helpers/simulator.js';
import { call, demo } from './support.js';

const entry = resolve(projectRoot, 'dist/src/simulator/main.js');
const PATH = `${resolve(projectRoot, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`;

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

const children: ChildProcess[] = [];

function launch(env: Record<string, string>): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn('node', [entry], {
    cwd: projectRoot,
    env: { PATH, HOME: process.env.HOME ?? '', SIMULATOR_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exit };
}

async function start(env: Record<string, string> = {}): Promise<Started> {
  const { child, output, exit } = launch(env);
  const url = await new Promise<string>((found, fail) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
      if (match?.[1]) {
        clearInterval(timer);
        found(match[1]);
      }
    }, 20);
    void exit.then((code) => {
      clearInterval(timer);
      fail(new Error(`simulator exited (${code}): ${output()}`));
    });
  });
  return { child, url, output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  child.kill('SIGTERM');
  return exited;
}

beforeAll(() => {
  // dist/ is compiled once per run by test/global-setup.ts.
  expect(existsSync(entry)).toBe(true);
}, 120_000);

afterEach(async () => {
  for (const child of children.splice(0)) await stop(child);
});

describe('npm run simulator', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'simulator-main-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('serves the demo world with the default key, and stops cleanly on SIGTERM', async () => {
    const sim = await start();
    const answer = await call(sim, 'GET', '/v3/partners/accounts', { key: DEMO_KEY });
    expect(answer.status).toBe(200);
    expect(answer.body.accounts).toHaveLength(4);
    expect(await stop(sim.child)).toBe(0);
    expect(sim.output()).not.toContain(DEMO_KEY);
  });

  test('SIMULATOR_API_KEY replaces the demo key and is never logged', async () => {
    const key = 'SG.secret-from-the-environment';
    const sim = await start({ SIMULATOR_API_KEY: key, LOG_LEVEL: 'trace' });
    expect((await call(sim, 'GET', '/v3/partners/offerings', { key: DEMO_KEY })).status).toBe(401);
    expect((await call(sim, 'GET', '/v3/partners/offerings', { key })).status).toBe(200);
    await stop(sim.child);
    expect(sim.output()).not.toContain(key);
  });

  test('SIMULATOR_STATE keeps changes across restarts', async () => {
    const SIMULATOR_STATE = join(dir, 'state.json');
    const first = await start({ SIMULATOR_STATE });
    expect((await call(first, 'DELETE', `/v3/partners/accounts/${demo.silver}`)).status).toBe(204);
    await stop(first.child);
    const second = await start({ SIMULATOR_STATE });
    expect((await call(second, 'GET', `/v3/partners/accounts/${demo.silver}/state`)).status).toBe(404);
  });

  test('a mappings folder without a simulator seed stops the start with a clear message', async () => {
    const folder = join(dir, 'no-seed');
    mkdirSync(folder);
    for (const file of ['resellers.json', 'packages.json', 'customers.json', 'directories.json'])
      copyFileSync(join(demoMappingsFolder, file), join(folder, file));
    const run = launch({ BRIDGE_MAPPINGS: folder });
    expect(await run.exit).toBe(1);
    expect(run.output()).toMatch(/no-seed\/simulator\.json: file is missing/);
  });

  test('an invalid environment names the variable', async () => {
    const run = launch({ SIMULATOR_PORT: 'abc' });
    expect(await run.exit).toBe(1);
    expect(run.output()).toMatch(/environment: SIMULATOR_PORT/);
  });
});
