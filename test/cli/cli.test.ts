// The operator CLI end to end: a temp BRIDGE_DB, the demo mappings, data written through
// the bridge's own parts, the CLI run in-process or as the compiled process.
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { stampOf } from '../../harness/build-if-stale.mjs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { hashToken, verifyPassword } from '../../src/core/credentials.js';
import type { Bridge } from '../../src/server.js';
import type { PendingChange } from '../../src/store/store.js';
import { DEMO } from '../helpers/bridge.js';
import { openBridge, runCompiled, runInProcess, runNpmBridge, tempWorld } from './support.js';

const USER4 = DEMO.accounts.user4;
const BUSINESS_UID = '88pzdbz1hmkdoel4';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A world whose store and simulator state exist, as after a first `npm start`. */
async function startedWorld() {
  const world = tempWorld();
  const bridge = await openBridge(world.env);
  cleanups.push(world.remove, () => bridge.close());
  return { ...world, bridge };
}

function packagesOf(stateFile: string, accountId: string): string[] {
  const { accounts } = JSON.parse(readFileSync(stateFile, 'utf8')) as { accounts: { id: string; offerings: { name: string; type: string }[] }[] };
  return accounts.find((a) => a.id === accountId)!.offerings.filter((o) => o.type === 'package').map((o) => o.name);
}

async function scheduleDowngradeOfUser4(bridge: Bridge): Promise<PendingChange> {
  const user4 = (await bridge.store.findCustomer({ reseller: DEMO.apiUser, username: 'user4' }))!;
  const { change } = await bridge.store.schedule(
    {
      customerId: user4.id,
      accountId: user4.accountId,
      type: 'downgrade',
      currentPackage: 'Silver Package',
      targetPackage: 'Basic Package',
      ips: [],
      ipGroups: ['Reseller Group'],
      effectiveAt: '2031-01-15T00:00:00.000Z',
    },
    { actor: 'legacy', action: 'scheduled_downgrade', outcome: 'scheduled' },
  );
  return change;
}

describe('hash-password', () => {
  test('hashes the password read from stdin; the hash verifies and the password is not printed', async () => {
    const run = await runCompiled(['hash-password'], {}, 'n3w-Passw0rd\n');
    expect(run.code).toBe(0);
    const hash = run.stdout.trim();
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('n3w-Passw0rd', hash)).toBe(true);
    expect(await verifyPassword('n3w-Passw0rd\n', hash)).toBe(false);
    expect(run.stdout + run.stderr).not.toContain('n3w-Passw0rd');
  });

  test('refuses the password as an argument (shell history, ps), without echoing it or hashing anything', async () => {
    const run = await runInProcess(['hash-password', 'your_sendgrid_password'], {}, 'from-stdin\n');
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toBe('error: the password is not taken as an argument (it would stay in shell history and ps): pipe it on stdin or type it at the prompt\n');
    expect(run.stderr).not.toContain('your_sendgrid_password');
  });

  test('an empty stdin is bad usage', async () => {
    const run = await runInProcess(['hash-password'], {}, '');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no password given');
  });
});

describe('hash-password at a terminal', () => {
  /** A terminal typing `keystrokes`, one chunk per prompt, once the CLI listens. */
  function terminal(keystrokes: string[]) {
    const events = new EventEmitter();
    const modes: boolean[] = [];
    return {
      modes,
      stdin: Object.assign(events, {
        isTTY: true,
        setRawMode: (mode: boolean) => modes.push(mode),
        setEncoding: () => undefined,
        resume: () => setImmediate(() => events.emit('data', keystrokes.shift() ?? '\u0004')),
        pause: () => undefined,
        async *[Symbol.asyncIterator]() {},
      }),
    };
  }

  async function run(keystrokes: string[]) {
    const { stdin, modes } = terminal(keystrokes);
    let stdout = '';
    let stderr = '';
    const code = await runCli(['hash-password'], { env: {}, stdin, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
    return { code, stdout, stderr, modes };
  }

  test('prompts twice without echo; backspace edits', async () => {
    const typed = await run(['s3cx\u007fret\r', 's3cret\r']);
    expect(typed.code).toBe(0);
    expect(await verifyPassword('s3cret', typed.stdout.trim())).toBe(true);
    expect(typed.stderr).toBe('Password: \nPassword again: \n');
    expect(typed.modes).toEqual([true, false, true, false]);
  });

  test('two different entries are refused', async () => {
    const typed = await run(['one\r', 'two\r']);
    expect(typed).toMatchObject({ code: 2, stdout: '' });
    expect(typed.stderr).toContain('error: the two passwords differ');
  });
});

describe('hash-token', () => {
  test('prints the HMAC the directory mapping stores, from stdin only', async () => {
    const token = 'aaaabbbbccccddddeeeeffff11112222';
    const fromStdin = await runCompiled(['hash-token'], {}, `${token}\n`);
    expect(fromStdin).toMatchObject({ code: 0, stdout: `${hashToken(token)}\n` });
    // The demo directory's stored value.
    expect(fromStdin.stdout.trim()).toBe('eb9017ea1e83162332f0e6c52008d36d16910258a9ccc1335d9fa2a50af59812');
    const fromArgument = await runInProcess(['hash-token', token], {});
    expect(fromArgument).toMatchObject({ code: 2, stdout: '' });
    expect(fromArgument.stderr).not.toContain(token);
  });
});

describe('pending and run-scheduler', () => {
  test('a due change is applied upstream, a failing one is listed with its reason', async () => {
    const world = await startedWorld();
    const { bridge, env } = world;
    const downgrade = await scheduleDowngradeOfUser4(bridge);
    // A change whose account id no longer matches the customer's fails when applied.
    const user5 = (await bridge.store.findCustomer({ reseller: DEMO.apiUser, username: 'user5' }))!;
    const { change: orphan } = await bridge.store.schedule(
      {
        customerId: user5.id,
        accountId: 'sg-retired-account',
        type: 'close',
        currentPackage: 'Gold Package',
        targetPackage: 'Free Package',
        ips: [],
        ipGroups: [],
        effectiveAt: downgrade.effectiveAt,
      },
      { actor: 'legacy', action: 'scheduled_close', outcome: 'scheduled' },
    );
    await bridge.close();

    const before = await runInProcess(['pending'], env);
    expect(before.code).toBe(0);
    const rows = before.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID\s+RESELLER\s+USERNAME\s+TYPE\s+CHANGE\s+EFFECTIVE\s+STATUS\s+ATTEMPTS\s+LAST ERROR$/);
    expect(rows[1]).toMatch(
      new RegExp(`^${downgrade.id}\\s+your_sendgrid_username\\s+user4\\s+downgrade\\s+Silver Package → Basic Package\\s+2031-01-15\\s+pending\\s+0\\s+-$`),
    );
    expect(rows).toHaveLength(3);

    const early = await runInProcess(['run-scheduler', '--now', '2031-01-14T23:59:59Z', '--json'], env);
    expect(early.code).toBe(0);
    expect(JSON.parse(early.stdout)).toMatchObject({ at: '2031-01-14T23:59:59.000Z', claimed: 0, applied: 0 });

    const pass = await runCompiled(['run-scheduler', '--now', '2031-01-15'], env);
    expect(pass.stderr).toBe('');
    expect(pass.code).toBe(0);
    expect(pass.stdout).toContain('Scheduler pass at 2031-01-15T00:00:00.000Z against embedded simulator');
    expect(pass.stdout).toContain('claimed 2, applied 1, retried 0, failed 1, skipped 0');

    // What `npm start` sees next: the store's change is applied, the simulator's account moved.
    const after = await openBridge(env);
    cleanups.push(() => after.close());
    expect((await after.store.getChange(downgrade.id))?.status).toBe('applied');
    expect(after.simulator?.account(USER4)?.offerings.find((o) => o.type === 'package')?.name).toBe('org.ei.basic.v1');
    expect(packagesOf(after.config.simulatorStateFile, USER4)).toEqual(['org.ei.basic.v1']);

    const failed = await runInProcess(['pending', '--json'], env);
    const listed = JSON.parse(failed.stdout) as PendingChange[];
    expect(listed.map((c) => [c.id, c.status])).toEqual([[orphan.id, 'failed']]);
    expect(listed[0]!.lastError).toBe(`account id changed from sg-retired-account to ${DEMO.accounts.user5} since the change was scheduled`);
    const table = await runInProcess(['pending', '--status', 'failed'], env);
    expect(table.stdout).toMatch(/user5\s+close\s+Gold Package → Free Package\s+2031-01-15\s+failed\s+1\s+account id changed from sg-retired-account/);

    const applied = await runInProcess(['pending', '--status', 'applied', '--reseller', DEMO.apiUser, '--json'], env);
    expect((JSON.parse(applied.stdout) as PendingChange[]).map((c) => c.id)).toEqual([downgrade.id]);
    const otherReseller = await runInProcess(['pending', '--status', 'all', '--reseller', DEMO.secondApiUser], env);
    expect(otherReseller.stdout).toBe(`No scheduled changes with status pending, applying, applied, cancelled, superseded, failed for ${DEMO.secondApiUser}.\n`);

    const audit = await runInProcess(['audit', '--change', String(downgrade.id)], env);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/user4\s+\d+\s+legacy\s+scheduled_downgrade\s+scheduled/);
    expect(audit.stdout).toMatch(/user4\s+\d+\s+scheduler\s+apply_downgrade\s+applied\s+Silver Package → Basic Package/);
  });

  test('a simulator already serving the state file (npm start running) carries the changes', async () => {
    const world = tempWorld();
    cleanups.push(world.remove);
    // The running bridge: its simulator holds the world in memory and on its port.
    const running = await openBridge(world.env);
    cleanups.push(() => running.close());
    const downgrade = await scheduleDowngradeOfUser4(running);

    const run = await runInProcess(['run-scheduler', '--now', '2031-01-15', '--json'], { ...world.env, SIMULATOR_PORT: String(running.simulator!.port) });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ upstream: expect.stringContaining(`running simulator ${running.simulator!.url}`), applied: 1 });
    expect(running.simulator!.account(USER4)?.offerings.find((o) => o.type === 'package')?.name).toBe('org.ei.basic.v1');
    expect(running.simulator!.writes(USER4).offerings).toBe(1);
    expect((await running.store.getChange(downgrade.id))?.status).toBe('applied');
  });

  test("a simulator on SIMULATOR_PORT serving another world is left alone", async () => {
    const other = await startedWorld();
    const world = await startedWorld();
    await scheduleDowngradeOfUser4(world.bridge);
    await world.bridge.close();

    const run = await runInProcess(['run-scheduler', '--now', '2031-01-15', '--json'], { ...world.env, SIMULATOR_PORT: String(other.bridge.simulator!.port) });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ upstream: expect.stringMatching(/^embedded simulator/), applied: 1 });
    expect(other.bridge.simulator!.writes(USER4).offerings).toBe(0);
    expect(packagesOf(world.bridge.config.simulatorStateFile, USER4)).toEqual(['org.ei.basic.v1']);
  });
  test('a bridge running on the database with no simulator on SIMULATOR_PORT: refused, nothing applied', async () => {
    const world = tempWorld();
    cleanups.push(world.remove);
    const running = await openBridge(world.env); // its simulator took a free port, not SIMULATOR_PORT
    cleanups.push(() => running.close());
    const downgrade = await scheduleDowngradeOfUser4(running);

    const run = await runInProcess(['run-scheduler', '--now', '2031-01-15'], world.env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${world.env.BRIDGE_DB} is in use (a bridge is running?), but no simulator on SIMULATOR_PORT=0 serves`);
    expect((await running.store.getChange(downgrade.id))?.status).toBe('pending');
    expect(running.simulator!.writes(USER4).offerings).toBe(0);
  });
});

describe('machine-readable output through npm', () => {
  test('`npm run -s bridge -- pending --json` prints only JSON on stdout, and compiles nothing when dist/ is current', async () => {
    const world = await startedWorld();
    const downgrade = await scheduleDowngradeOfUser4(world.bridge);
    await world.bridge.close();
    const stamp = statSync(stampOf()).mtimeMs;
    const run = await runNpmBridge(['pending', '--json'], world.env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const changes = JSON.parse(run.stdout) as PendingChange[];
    expect(changes.map((c) => [c.id, c.status, c.targetPackage])).toEqual([[downgrade.id, 'pending', 'Basic Package']]);
    expect(statSync(stampOf()).mtimeMs).toBe(stamp);
  });
});

describe('customers and audit', () => {
  let env: Record<string, string>;
  let removeWorld: () => void;

  beforeAll(async () => {
    const world = tempWorld();
    ({ env } = world);
    removeWorld = world.remove;
    const bridge = await openBridge(env);
    try {
      const business = (await bridge.store.findCustomer({ businessUid: BUSINESS_UID }))!;
      await bridge.store.updateCustomer(
        business.id,
        { tags: ['vip', 'beta'], subscriptionParams: [['plan', 'gold'], ['seats', '3']] },
        { actor: 'directory', action: 'change_package', customerId: business.id, outcome: 'applied', detail: 'tags only' },
      );
    } finally {
      await bridge.close();
    }
  });
  afterAll(() => removeWorld());

  test('customers shows the directory tags and subscription params', async () => {
    const run = await runInProcess(['customers'], env);
    expect(run.code).toBe(0);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^RESELLER\s+USERNAME\s+BUSINESS UID\s+ACCOUNT ID\s+BILLING DAY\s+IPS\s+IP GROUPS\s+TAGS\s+PARAMS\s+ACTIVE$/);
    expect(rows).toHaveLength(6);
    expect(rows.find((r) => r.includes(BUSINESS_UID))).toMatch(/vip, beta\s+plan=gold, seats=3\s+yes$/);
    // Billing days resolved from the accounts' created_at (user4: 2009-09-30).
    expect(rows.find((r) => /\suser4\s/.test(r))).toMatch(new RegExp(`${USER4}\\s+30\\s`));

    const json = JSON.parse((await runInProcess(['customers', '--reseller', DEMO.apiUser, '--json'], env)).stdout) as {
      businessUid: string | null;
      tags: string[];
      subscriptionParams: [string, string][];
    }[];
    expect(json).toHaveLength(4);
    expect(json.find((c) => c.businessUid === BUSINESS_UID)).toMatchObject({ tags: ['vip', 'beta'], subscriptionParams: [['plan', 'gold'], ['seats', '3']] });
  });

  test('audit by business uid or username; an unknown customer is a failure', async () => {
    const byBusiness = await runInProcess(['audit', '--customer', BUSINESS_UID, '--json'], env);
    expect(byBusiness.code).toBe(0);
    expect(JSON.parse(byBusiness.stdout)).toMatchObject([{ actor: 'directory', action: 'change_package', outcome: 'applied', detail: 'tags only' }]);
    const byUsername = await runInProcess(['audit', '--customer', 'owner@88pzdbz1hmkdoel4.example'], env);
    expect(byUsername.stdout).toMatch(/owner@88pzdbz1hmkdoel4\.example\s+-\s+directory\s+change_package\s+applied\s+-\s+tags only/);
    expect((await runInProcess(['audit', '--customer', 'user4'], env)).stdout).toBe('No audit records.\n');

    const unknown = await runInProcess(['audit', '--customer', 'nobody@example.com'], env);
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: 'error: no customer nobody@example.com in the store\n' });
  });
});

describe('usage and configuration errors', () => {
  test('a bad --now is bad usage, saying what is expected', async () => {
    const world = tempWorld();
    cleanups.push(world.remove);
    const run = await runCompiled(['run-scheduler', '--now', '15/01/2031'], world.env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`option '--now <instant>' argument '15/01/2031' is invalid`);
    expect(run.stderr).toContain('2031-01-15T00:00:00Z');
    expect((await runInProcess(['run-scheduler'], world.env)).stderr).toContain(`required option '--now <instant>' not specified`);
    expect((await runInProcess(['run-scheduler'], world.env)).code).toBe(2);
  });

  test('an invalid configuration stops with exit 2 naming the field', async () => {
    const world = await startedWorld();
    const run = await runCompiled(['pending'], { ...world.env, SENDGRID_API_URL: 'notaurl' });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('SENDGRID_API_URL must be an http(s) URL or "simulator"\n');
  });

  test('a real upstream without the resellers\' keys names the missing variables', async () => {
    const world = await startedWorld();
    const run = await runInProcess(['run-scheduler', '--now', '2031-01-15'], { ...world.env, SENDGRID_API_URL: 'https://api.sendgrid.com' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('SENDGRID_API_KEY (the v3 key of reseller "your_sendgrid_username") is not set');
  });

  test('the commands that only read the store need no v3 key, even with a real upstream', async () => {
    const world = await startedWorld();
    await world.bridge.close();
    const env = { ...world.env, SENDGRID_API_URL: 'https://api.sendgrid.com' };
    for (const argv of [['pending', '--json'], ['customers', '--json'], ['audit', '--json'], ['usage', '--json']]) {
      const run = await runInProcess(argv, env);
      expect(run, argv.join(' ')).toMatchObject({ code: 0, stderr: '' });
      expect(() => JSON.parse(run.stdout), argv.join(' ')).not.toThrow();
    }
  });

  test('a missing database is reported, not created', async () => {
    const world = tempWorld();
    cleanups.push(world.remove);
    for (const argv of [['pending'], ['customers'], ['audit'], ['run-scheduler', '--now', '2031-01-15']]) {
      const run = await runInProcess(argv, world.env);
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(run.stderr).toContain(`no database at ${world.env.BRIDGE_DB} (BRIDGE_DB)`);
    }
    expect(existsSync(world.env.BRIDGE_DB)).toBe(false);
  });

  test('unknown commands and options are bad usage; --help is not', async () => {
    expect((await runInProcess(['frobnicate'], {})).code).toBe(2);
    expect((await runInProcess(['pending', '--colour'], {})).code).toBe(2);
    expect((await runInProcess([], {})).code).toBe(2);
    const help = await runInProcess(['pending', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--status <list>');
  });
});
