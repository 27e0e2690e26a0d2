// Signals and shutdown of the bridge process: `npm start` signalled the way a supervisor or a
// container runtime does, and node signalled directly. No process may be left behind, work in
// flight finishes, and the exit is clean.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { entries, startNode, startNpm, stopAll, waitUntil, type NodeProcess } from '../harness/processes.js';
import { AUTH } from './helpers/bridge.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-shutdown-'));
let nextDb = 0;
const bridgePids: number[] = []; // grandchildren under npm: killed by pid if a test leaves one behind
// Each test has its own processes and ports: they run side by side, mostly waiting (several
// bridges starting at once on a busy machine take a while: hence the generous bounds).
const SLOW = { timeout: 90_000 };
const START_MS = 60_000;

afterAll(async () => {
  await stopAll('SIGKILL');
  for (const pid of bridgePids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function bridgeEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PORT: '0', HOST: '127.0.0.1', SIMULATOR_PORT: '0', ADMIN_PORT: '0', BRIDGE_DB: join(dir, `bridge-${nextDb++}.db`), ...extra };
}

/** `npm start` without its build step (the test run has built dist/ already). */
const npmStart = () => startNpm(['start', '--ignore-scripts'], { env: bridgeEnv() });
const nodeBridge = (env: Record<string, string> = {}) => startNode(entries.bridge, { env: bridgeEnv(env) });

interface Started {
  pid: number;
  url: string;
  simulatorUrl: string;
  adminUrl: string;
}

async function started(child: NodeProcess): Promise<Started> {
  const [, pid] = await child.waitForOutput(/"pid":(\d+)/, START_MS);
  bridgePids.push(Number(pid));
  const [simulatorUrl, url, adminUrl] = await Promise.all(
    ['embedded v3 simulator listening', 'bridge listening', 'admin listening'].map((msg) => child.waitForLoggedUrl(msg, START_MS)),
  );
  return { pid: Number(pid), url: url!, simulatorUrl: simulatorUrl!, adminUrl: adminUrl! };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once no process has `pid` (a grandchild under npm: it cannot be awaited directly). */
const gone = (pid: number) => waitUntil(`process ${pid} gone`, () => !alive(pid), { timeoutMs: 15_000 });

const refusesConnections = async (url: string) => expect(fetch(`${url}/livez`)).rejects.toThrow();

describe.concurrent('npm start', SLOW, () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s to the npm process stops the bridge: exit 0, nothing left running', async (signal) => {
    const npm = npmStart();
    const bridge = await started(npm);
    expect(bridge.pid).not.toBe(npm.pid); // node runs as npm's child, in place of its shell

    expect(await npm.stop(signal)).toEqual({ code: 0, signal: null });
    await gone(bridge.pid);
    expect(npm.output()).toMatch(new RegExp(`"signal":"${signal}".*"msg":"shutting down"`));
    expect(npm.output()).toMatch(/"msg":"stopped"/);
    await refusesConnections(bridge.url);
    await refusesConnections(bridge.simulatorUrl);
    await refusesConnections(bridge.adminUrl);
  });

  it('npm killed outright: the bridge notices it lost its parent and shuts down by itself', async () => {
    const npm = npmStart();
    const bridge = await started(npm);
    await npm.kill();
    await gone(bridge.pid);
    expect(npm.output()).toMatch(/"reason":"parent process \d+ exited".*"msg":"shutting down"/);
    expect(npm.output()).toMatch(/"msg":"stopped"/);
  });
});

describe.concurrent('node signalled directly', SLOW, () => {
  /** An immediate task held by the simulator's latency, once the bridge has sent its first v3 call. */
  async function requestInFlight(bridge: Started, latencyMs: number): Promise<{ answer: Promise<string> }> {
    await fetch(`${bridge.simulatorUrl}/_simulator/requests`, { method: 'DELETE' });
    await fetch(`${bridge.simulatorUrl}/_simulator/faults`, { method: 'PUT', body: JSON.stringify({ latencyMs }) });
    const answer = fetch(`${bridge.url}/apiv2/reseller.account.json?${AUTH}&task=immediate_upgrade&user=user4&package=Gold%20Package&ip[]=255.255.255.0`).then(
      async (response) => `${response.status} ${await response.text()}`,
      () => 'connection cut',
    );
    await waitUntil('the bridge calling v3', async () => {
      const { requests } = (await (await fetch(`${bridge.simulatorUrl}/_simulator/requests`)).json()) as { requests: unknown[] };
      return requests.length > 0;
    });
    return { answer }; // not awaited with the rest: the answer comes after the signal
  }

  it('SIGTERM lets a request in flight finish, refuses new connections, ignores a second signal, then exits 0', async () => {
    const child = nodeBridge();
    const bridge = await started(child);
    const { answer } = await requestInFlight(bridge, 1_000);

    child.child.kill('SIGTERM');
    await child.waitForOutput(/"msg":"shutting down"/);
    await refusesConnections(bridge.url);
    child.child.kill('SIGINT');
    await child.waitForOutput(/"signal":"SIGINT".*"msg":"already shutting down"/);
    expect(await answer).toBe('200 {"message":"success"}');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('work still in flight at BRIDGE_SHUTDOWN_TIMEOUT_MS is cut: exit 1, saying so', async () => {
    const child = nodeBridge({ BRIDGE_SHUTDOWN_TIMEOUT_MS: '300' });
    const bridge = await started(child);
    const { answer } = await requestInFlight(bridge, 20_000);

    expect(await child.stop('SIGTERM')).toEqual({ code: 1, signal: null });
    expect(child.output()).toMatch(/"boundMs":300.*"msg":"shutdown bound reached: cutting the work still in flight"/);
    expect(await answer).toBe('connection cut');
  });

  /** A bridge whose start-up waits on its first v3 call: the upstream holds every request until `release`. */
  async function startingBridge(run: (bridge: NodeProcess, release: () => void) => Promise<void>): Promise<void> {
    const held: ServerResponse[] = [];
    const upstream = createServer((_req, res) => void held.push(res));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const refuse = (res: ServerResponse) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[]}');
    const release = () => {
      upstream.on('request', (_req, res) => refuse(res));
      held.splice(0).forEach(refuse);
    };
    try {
      const child = nodeBridge({
        SENDGRID_API_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        SENDGRID_API_KEY: 'SG.demo-reseller-key',
        SECOND_RESELLER_API_KEY: 'SG.demo-second-reseller-key',
      });
      await waitUntil('start-up sent its first v3 call', () => held.length > 0, { timeoutMs: START_MS });
      await run(child, release);
    } finally {
      upstream.closeAllConnections();
      upstream.close();
    }
  }

  it('SIGTERM while the bridge is still starting is kept: the shutdown runs once it is up, exit 0', async () => {
    await startingBridge(async (child, release) => {
      child.child.kill('SIGTERM');
      release();
      expect(await child.exited).toEqual({ code: 0, signal: null });
      expect(child.output()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
      expect(child.output()).toMatch(/"msg":"stopped"/);
    });
  });

  it('a second signal while the bridge is still starting exits at once: exit 1', async () => {
    await startingBridge(async (child) => {
      child.child.kill('SIGTERM');
      child.child.kill('SIGINT');
      expect(await child.exited).toEqual({ code: 1, signal: null });
    });
  });
});

