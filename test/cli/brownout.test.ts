// `bridge brownout`: the operator's windows and switch, written by the CLI to the store a running
// bridge reads; the bridge refuses (or stops refusing) within a second, without a restart.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, demoMappings, startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { runCompiled, runInProcess } from './support.js';

let bridge: TestBridge;
let env: Record<string, string>;

beforeAll(async () => {
  bridge = await startTestBridge();
  env = { BRIDGE_DB: join(bridge.dir, 'bridge.db'), BRIDGE_MAPPINGS: demoMappings, SIMULATOR_PORT: '0', BRIDGE_SCHEDULER: 'off' };
});
afterAll(async () => bridge.stop());

const list = () => request(bridge.url).post('/apiv2/reseller.pending.json').type('form').send(`${AUTH}&task=list`);

/** Asks again after each answer until the running bridge answers `status`; the time it took, in ms. */
async function answersWithin(status: number): Promise<number> {
  const started = performance.now();
  while ((await list()).status !== status) if (performance.now() - started > 10_000) throw new Error(`no ${status} after 10 s`);
  return performance.now() - started;
}

async function cli(...argv: string[]) {
  const run = await runInProcess(argv, env);
  return checked(run);
}

function checked(run: { code: number | null; stdout: string; stderr: string }) {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
}

describe('bridge brownout', () => {
  it('add, off, on and remove take effect on the running bridge within a second', async () => {
    expect((await list()).status).toBe(200);
    const end = new Date(Date.now() + 600_000).toISOString();
    // The compiled CLI, in a process of its own, as `npm run bridge -- brownout add` runs it.
    const added = JSON.parse(checked(await runCompiled(['brownout', 'add', '--end', end, '--surface', 'apiv2', '--task', 'list', '--note', 'first brownout', '--json'], env))) as { id: number };
    expect(await answersWithin(503)).toBeLessThan(1000);
    const refused = await list();
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(500);
    expect(refused.body).toEqual({ message: 'error', errors: [expect.stringMatching(/brownout/)] });

    expect(await cli('brownout', 'off')).toMatch(/Brownouts off/);
    expect(await answersWithin(200)).toBeLessThan(1000);
    expect(await cli('brownout', 'on')).toMatch(/Brownouts on/);
    expect(await answersWithin(503)).toBeLessThan(1000);

    await bridge.brownouts.refresh(); // the counts so far written
    const listed = await cli('brownout', 'list');
    expect(listed.split('\n')[0]).toBe('Brownouts are on.');
    expect(listed.split('\n')[1]).toMatch(/^ID\s+START\s+END\s+SURFACES\s+TASKS\s+RESELLERS\s+MODE\s+REFUSED\s+WOULD REFUSE\s+NOTE$/);
    expect(listed.split('\n')[2]).toMatch(new RegExp(`^${added.id}\\s+\\S+Z\\s+${end.replace(/\./g, '\\.')}\\s+apiv2\\s+list\\s+all\\s+refuse\\s+[1-9]\\d*\\s+[1-9]\\d*\\s+first brownout$`));

    expect(await cli('brownout', 'remove', String(added.id))).toBe(`Brownout ${added.id} removed.\n`);
    expect(await answersWithin(200)).toBeLessThan(1000);
    expect(await cli('brownout', 'list')).toBe('Brownouts are on.\nNo brownout window.\n');
  });

  it('a dry-run window only counts', async () => {
    const end = new Date(Date.now() + 600_000).toISOString();
    const { id } = JSON.parse(await cli('brownout', 'add', '--end', end, '--dry-run', '--json')) as { id: number };
    // Counted once the gate has read the window: the same request is answered as usual all along.
    let counted = 0;
    while (counted === 0) {
      expect((await list()).status).toBe(200);
      await bridge.brownouts.refresh();
      counted = (await bridge.store.listBrownouts()).windows.find((w) => w.id === id)!.wouldRefuse;
    }
    expect((await bridge.store.listBrownouts()).windows.find((w) => w.id === id)).toMatchObject({ refused: 0, dryRun: true });
    await cli('brownout', 'remove', String(id));
  });

  it('refuses bad windows with a usage error, and an unknown id', async () => {
    const bad = async (argv: string[], message: RegExp) => {
      const run = await runInProcess(['brownout', ...argv], env);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    };
    await bad(['add', '--start', '2030-01-02', '--end', '2030-01-01'], /--end must be after --start/);
    await bad(['add'], /required option '--end <instant>'/);
    await bad(['add', '--end', 'tomorrow'], /Expected a day/);
    await bad(['add', '--end', '2030-01-01', '--task', 'upgrade'], /Expected a comma-separated list of legacy tasks/);
    await bad(['add', '--end', '2030-01-01', '--surface', 'v3'], /Expected a comma-separated list of apiv2, directory/);
    await bad(['add', '--end', '2030-01-01', '--surface', 'directory', '--task', 'list'], /not a task of --surface directory/);
    await bad(['remove', 'x'], /Expected a brownout window id/);
    const missing = await runInProcess(['brownout', 'remove', '999'], env);
    expect([missing.code, missing.stderr]).toEqual([1, 'error: no brownout window 999\n']);
    expect(await cli('brownout', 'list')).toBe('Brownouts are on.\nNo brownout window.\n');
  });
});
