// `npm run simulator` as its own process: `node dist/src/simulator/main.js` after a build,
// started with the pinned Node 24 by the process harness.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { entries, startNode, startSimulatorProcess, stopAll, type NodeProcess } from '../../harness/processes.js';
import { DEMO_KEY, demoMappingsFolder, projectRoot } from '../helpers/simulator.js';
import { call, demo } from './support.js';

const entry = resolve(projectRoot, entries.simulator);

const launch = (env: Record<string, string>): NodeProcess => startNode(entries.simulator, { name: 'simulator', env: { SIMULATOR_PORT: '0', ...env } });

/** SIGTERM, and the exit code it leads to. */
const stop = async (started: NodeProcess): Promise<number | null> => (await started.stop()).code;

beforeAll(() => {
  // dist/ is compiled once per run by test/global-setup.ts.
  expect(existsSync(entry)).toBe(true);
}, 120_000);

afterEach(() => stopAll());

describe('npm run simulator', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'simulator-main-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('serves the demo world with the default key, and stops cleanly on SIGTERM', async () => {
    const sim = await startSimulatorProcess({});
    const answer = await call(sim, 'GET', '/v3/partners/accounts', { key: DEMO_KEY });
    expect(answer.status).toBe(200);
    expect(answer.body.accounts).toHaveLength(4);
    expect(await stop(sim.process)).toBe(0);
    expect(sim.process.output()).not.toContain(DEMO_KEY);
  });

  test('SIMULATOR_API_KEY replaces the demo key and is never logged', async () => {
    const key = 'SG.secret-from-the-environment';
    const sim = await startSimulatorProcess({ SIMULATOR_API_KEY: key, LOG_LEVEL: 'trace' });
    expect((await call(sim, 'GET', '/v3/partners/offerings', { key: DEMO_KEY })).status).toBe(401);
    expect((await call(sim, 'GET', '/v3/partners/offerings', { key })).status).toBe(200);
    await stop(sim.process);
    expect(sim.process.output()).not.toContain(key);
  });

  test('SIMULATOR_STATE keeps changes across restarts', async () => {
    const SIMULATOR_STATE = join(dir, 'state.json');
    const first = await startSimulatorProcess({ SIMULATOR_STATE });
    expect((await call(first, 'DELETE', `/v3/partners/accounts/${demo.silver}`)).status).toBe(204);
    await stop(first.process);
    const second = await startSimulatorProcess({ SIMULATOR_STATE });
    expect((await call(second, 'GET', `/v3/partners/accounts/${demo.silver}/state`)).status).toBe(404);
  });

  test('a mappings folder without a simulator seed stops the start with a clear message', async () => {
    const folder = join(dir, 'no-seed');
    mkdirSync(folder);
    for (const file of ['resellers.json', 'packages.json', 'customers.json', 'directories.json'])
      copyFileSync(join(demoMappingsFolder, file), join(folder, file));
    const run = launch({ BRIDGE_MAPPINGS: folder });
    expect((await run.exited).code).toBe(1);
    expect(run.output()).toMatch(/no-seed\/simulator\.json: file is missing/);
  });

  test('an invalid environment names the variable', async () => {
    const run = launch({ SIMULATOR_PORT: 'abc' });
    expect((await run.exited).code).toBe(1);
    expect(run.output()).toMatch(/environment: SIMULATOR_PORT/);
  });
});
