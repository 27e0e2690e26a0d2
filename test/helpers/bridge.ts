// Starts a whole bridge in this process for a test: embedded simulator on a free port,
// a fresh SQLite file, no background scheduler (tests drive passes themselves).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { startBridge, type Bridge, type BridgeOptions } from '../../src/server.js';
import { validateRecordedV3Request } from './v3-contract.js';

export const projectRoot = resolve(fileURLToPath(import.meta.url), '../../..');
export const demoMappings = join(projectRoot, 'mappings');

export interface TestBridge extends Bridge {
  dir: string;
  /** Stops the bridge and removes its files. */
  stop(): Promise<void>;
}

export async function startTestBridge(
  env: Record<string, string> = {},
  options: Partial<BridgeOptions> = {},
): Promise<TestBridge> {
  const dir = mkdtempSync(join(tmpdir(), 'reseller-bridge-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATOR_PORT: '0',
    ADMIN_PORT: '0',
    BRIDGE_DB: join(dir, 'bridge.db'),
    BRIDGE_MAPPINGS: demoMappings,
    BRIDGE_SCHEDULER: 'off',
    ...env,
  });
  const bridge = await startBridge(config, { logger: silentLogger, ...options });
  // The start-up readiness check calls v3 in the background: let it end, so a test sees only its own requests.
  await bridge.readiness.refresh();
  return {
    ...bridge,
    dir,
    stop: async () => {
      await bridge.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The demo world's names, so tests read like the docs. */
export const DEMO = {
  apiUser: 'your_sendgrid_username',
  password: 'your_sendgrid_password',
  key: 'SG.demo-reseller-key',
  secondApiUser: 'second_reseller',
  secondPassword: 'second_reseller_password',
  accounts: {
    'customer@example.com': 'sg7c1f4b2a9d3e4f5a6b7c8d9e0f1a2b3c',
    user4: 'sg4d2e6f8a0b1c3d5e7f9a1b3c5d7e9f04',
    user5: 'sg5e3f7a9b1c2d4e6f8a0b2c4d6e8f0a05',
    business: 'sg88a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5',
    'customer@second.example': 'sg2b9c8d7e6f5a4b3c2d1e0f9a8b7c6d52',
  },
} as const;

export const AUTH = `api_user=${DEMO.apiUser}&api_key=${DEMO.password}`;

/**
 * A fresh bridge for each test of a file: its own store and simulator, so no test sees what
 * another wrote. After each test, every request the bridge sent upstream must be one the official
 * v3 spec allows.
 */
export function useTestBridge(env: Record<string, string> = {}, options: Partial<BridgeOptions> = {}): () => TestBridge {
  let bridge: TestBridge | undefined;
  beforeEach(async () => {
    bridge = await startTestBridge(env, options);
    bridge.simulator!.clearRequests(); // start-up reads (billing days) are not the test's
  });
  afterEach(async () => {
    const finished = bridge!;
    bridge = undefined;
    try {
      for (const r of finished.simulator!.requests) expect(validateRecordedV3Request(r), `${r.method} ${r.path}`).toEqual([]);
    } finally {
      await finished.stop();
    }
  });
  return () => bridge!;
}

/** The package offering a simulated account is on. */
export function packageOf(bridge: Bridge, accountId: string): string | undefined {
  return bridge.simulator!.account(accountId)?.offerings.find((o) => o.type === 'package')?.name;
}
