// What the store commands share: the configuration of `npm start` (same environment),
// a logger on stderr, and the store it uses.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, type BridgeConfig } from '../config/config.js';
import { createLogger, type Logger } from '../log.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { CliError, type CliIo } from './io.js';

export function cliConfig(io: CliIo): BridgeConfig {
  return loadConfig(io.env);
}

/** For the commands that only read the store (pending, customers, audit, usage): no upstream, no v3 key needed. */
export function readOnlyConfig(io: CliIo): BridgeConfig {
  return loadConfig(io.env, { upstream: false });
}

/** Warnings and worse by default: stdout carries the answer, stderr only what needs a look. */
export function cliLogger(io: CliIo, config: BridgeConfig): Logger {
  const level = io.env.LOG_LEVEL ? config.env.LOG_LEVEL : 'warn';
  return createLogger({ level, name: 'reseller-bridge-cli' }, { write: (line: string) => void io.stderr.write(line) });
}

/**
 * The operator looks at an existing store: a missing SQLite file means a wrong BRIDGE_DB
 * (or a bridge never started), and creating an empty one would make `npm start` keep a
 * simulator state that no longer matches its database.
 */
export function requireExistingStore(config: BridgeConfig): void {
  const { BRIDGE_DB, DATABASE_URL } = config.env;
  if (DATABASE_URL || BRIDGE_DB === ':memory:' || existsSync(BRIDGE_DB)) return;
  throw new CliError(`no database at ${resolve(BRIDGE_DB)} (BRIDGE_DB): start the bridge once (npm start) or point BRIDGE_DB at its file`);
}

export async function withStore<T>(config: BridgeConfig, use: (store: Store) => Promise<T>): Promise<T> {
  requireExistingStore(config);
  const store = await openStore({ sqlitePath: config.env.BRIDGE_DB, databaseUrl: config.env.DATABASE_URL });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** How a customer is named to an operator: the legacy username, else the directory's business uid. */
export const customerName = (c: { username: string | null; businessUid: string | null }): string =>
  c.username ?? c.businessUid ?? '';
