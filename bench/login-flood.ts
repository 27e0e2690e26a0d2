// `npm run bench:login-flood`: how long a legitimate, uncached password login waits while 300
// requests with distinct unknown api_users are being answered (issue: scrypt two at a time behind
// an unbounded queue made it wait 7 s). A bridge in this process with the demo world and its
// embedded simulator; each round uses a fresh bridge, so nothing is cached. Prints the login's
// time alone and under the flood, median and max over the rounds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { silentLogger } from '../src/log.js';
import { startBridge } from '../src/server.js';

const FLOOD = 300;
const ROUNDS = Number(process.argv[2] ?? 5);
const LOGIN = 'api_user=your_sendgrid_username&api_key=your_sendgrid_password&task=list';

async function timed(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(url);
  await res.text();
  return performance.now() - started;
}

interface Round {
  /** As the client saw it. */
  loginMs: number;
  /** From the bridge's request summary: request received → answered. */
  loginServerMs: number;
  floodStatuses: Record<number, number>;
}

async function round(flood: boolean): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'login-flood-'));
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    SIMULATOR_PORT: '0',
    BRIDGE_DB: join(dir, 'bridge.db'),
    BRIDGE_SCHEDULER: 'off',
    BRIDGE_MAPPINGS: join(import.meta.dirname, '../../mappings'),
  });
  let loginServerMs = NaN;
  const bridge = await startBridge(config, {
    logger: silentLogger,
    // The login is the only request of the reseller: its summary says how long the bridge held it.
    observeRequest: (s) => {
      if (s.authenticated) loginServerMs = s.durationMs;
    },
  });
  try {
    const base = `${bridge.url}/apiv2/reseller.pending.json`;
    const floodStatuses: Record<number, number> = {};
    const attackers = flood
      ? Array.from({ length: FLOOD }, (_, i) =>
          fetch(`${base}?api_user=unknown-${i}&api_key=guess&task=list`).then(async (r) => {
            const body = await r.text();
            const kind = r.status === 200 && body.includes('"code":401') ? 401 : r.status;
            floodStatuses[kind] = (floodStatuses[kind] ?? 0) + 1;
          }),
        )
      : [];
    // Let the flood reach the bridge first: the login is sent once every attacker's request is on its way.
    await new Promise((resolve) => setImmediate(resolve));
    const loginMs = await timed(`${base}?${LOGIN}`);
    await Promise.all(attackers);
    return { loginMs, loginServerMs, floodStatuses };
  } finally {
    await bridge.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const alone: number[] = [];
const flooded: number[] = [];
const floodedServer: number[] = [];
let statuses: Record<number, number> = {};
for (let i = 0; i < ROUNDS; i++) {
  alone.push((await round(false)).loginMs);
  const r = await round(true);
  flooded.push(r.loginMs);
  floodedServer.push(r.loginServerMs);
  statuses = r.floodStatuses;
}
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
console.log(`uncached login alone:                         ${fmt(alone)} (${ROUNDS} rounds)`);
console.log(`uncached login during ${FLOOD} unknown-user logins: ${fmt(flooded)}; inside the bridge ${fmt(floodedServer)}`);
console.log(`the flood's answers in the last round (401 = legacy 401 body): ${JSON.stringify(statuses)}`);
