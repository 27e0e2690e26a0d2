// The probes on the main port: /livez, /readyz (background checks of the store and of each
// reseller's v3 key, in application/health+json), /healthz as documented.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../harness/processes.js';
import { startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { DEMO_KEY, SECOND_RESELLER_KEY, startTestSimulator, type Simulator } from '../helpers/simulator.js';

const opened: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.stop();
});

async function simulator(): Promise<Simulator> {
  const sim = await startTestSimulator();
  opened.push({ stop: () => sim.close() });
  return sim;
}

async function bridgeOn(env: Record<string, string>): Promise<TestBridge> {
  const bridge = await startTestBridge(env); // returns once the start-up check has run
  opened.push(bridge);
  return bridge;
}

const realUpstream = (url: string, keys: Partial<Record<'SENDGRID_API_KEY' | 'SECOND_RESELLER_API_KEY', string>> = {}) => ({
  SENDGRID_API_URL: url,
  SENDGRID_API_KEY: DEMO_KEY,
  SECOND_RESELLER_API_KEY: SECOND_RESELLER_KEY,
  ...keys,
});

async function probe(bridge: TestBridge, path: string) {
  const response = await fetch(`${bridge.url}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as any };
}

describe('/livez and /healthz', () => {
  it('/livez: the process serves', async () => {
    const bridge = await bridgeOn({});
    expect(await probe(bridge, '/livez')).toEqual({ status: 200, type: 'application/health+json', body: { status: 'pass' } });
  });

  it('/healthz answers as documented', async () => {
    const bridge = await bridgeOn({});
    const response = await fetch(`${bridge.url}/healthz`);
    expect([response.status, await response.text()]).toEqual([200, '{"status":"ok","upstream":"simulator","store":"sqlite"}']);
  });
});

describe('/readyz', () => {
  it('passes with the store answering and every reseller’s key accepted', async () => {
    const sim = await simulator();
    const ready = await probe(await bridgeOn(realUpstream(sim.url)), '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.type).toBe('application/health+json');
    expect(ready.body).toEqual({
      status: 'pass',
      checks: {
        'store:responseTime': [{ componentId: 'sqlite', componentType: 'datastore', status: 'pass', time: expect.any(String), observedValue: expect.any(Number), observedUnit: 'ms' }],
        'v3:authentication': [
          { componentId: 'your_sendgrid_username', componentType: 'component', status: 'pass', time: expect.any(String) },
          { componentId: 'second_reseller', componentType: 'component', status: 'pass', time: expect.any(String) },
        ],
      },
    });
  });

  it('a key v3 refuses: 503 naming the reseller and its variable, never the key; the other reseller passes', async () => {
    const sim = await simulator();
    const bridge = await bridgeOn(realUpstream(sim.url, { SENDGRID_API_KEY: 'SG.revoked-key-for-tests' }));
    const ready = await probe(bridge, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('fail');
    const refused = 'reseller "your_sendgrid_username": v3 refused the key in SENDGRID_API_KEY (401); set that variable to the reseller\'s v3 API key';
    expect(ready.body.output).toBe(refused);
    expect(ready.body.checks['v3:authentication']).toEqual([
      expect.objectContaining({ componentId: 'your_sendgrid_username', status: 'fail', output: refused }),
      expect.objectContaining({ componentId: 'second_reseller', status: 'pass' }),
    ]);
    expect(JSON.stringify(ready.body)).not.toContain('SG.revoked-key-for-tests');
  });

  it('SENDGRID_API_URL with a path (…/v3): every reseller fails, saying what the URL must be', async () => {
    const sim = await simulator();
    const ready = await probe(await bridgeOn(realUpstream(`${sim.url}/v3`)), '/readyz');
    expect(ready.status).toBe(503);
    const failures = ready.body.checks['v3:authentication'].map((c: any) => c.output);
    expect(failures).toEqual([
      `reseller "your_sendgrid_username": v3 answered 404 at ${sim.url}/v3: SENDGRID_API_URL must be the API's root (like https://api.sendgrid.com), without /v3 or another path`,
      `reseller "second_reseller": v3 answered 404 at ${sim.url}/v3: SENDGRID_API_URL must be the API's root (like https://api.sendgrid.com), without /v3 or another path`,
    ]);
  });

  it('an unreachable upstream fails readiness, named', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const url = `http://127.0.0.1:${closedPort}`;
    const ready = await probe(await bridgeOn(realUpstream(url)), '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks['v3:authentication'][0].output).toMatch(new RegExp(`^reseller "your_sendgrid_username": v3 unreachable at ${url} \\(network\\)`));
  });

  it('a store that does not answer fails readiness', async () => {
    const bridge = await bridgeOn({});
    await bridge.store.close();
    await bridge.readiness.refresh();
    const ready = await probe(bridge, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks['store:responseTime'][0]).toMatchObject({ status: 'fail', output: expect.stringMatching(/^store \(sqlite\) does not answer: /) });
  });

  it('probes never call v3: the checks run at start and then in the background', async () => {
    const sim = await simulator();
    const bridge = await bridgeOn({ ...realUpstream(sim.url), BRIDGE_READINESS_INTERVAL_MS: '1000' });
    // The key check reads one account; the start-up's billing days page the list with larger pages.
    const keyChecks = () => sim.requests.filter((r) => r.operation === 'ListAccount' && r.query.limit === '1').length;
    const afterStart = keyChecks();
    expect(afterStart).toBe(2); // one per reseller
    for (let i = 0; i < 5; i++) expect((await probe(bridge, '/readyz')).status).toBe(200);
    expect(keyChecks()).toBe(afterStart);

    // A key revoked upstream is seen by the next background run.
    sim.faults.set({ failNext: { count: 1_000, status: 503, operation: 'ListAccount' } });
    await waitUntil('readiness failing', async () => (await probe(bridge, '/readyz')).status === 503, { timeoutMs: 10_000 });
    expect(keyChecks()).toBeGreaterThan(afterStart);
    sim.faults.clear();
    await waitUntil('readiness passing again', async () => (await probe(bridge, '/readyz')).status === 200, { timeoutMs: 10_000 });
  });

  it('fails as soon as the bridge shuts down', async () => {
    const bridge = await bridgeOn({});
    expect((await probe(bridge, '/readyz')).status).toBe(200);
    bridge.readiness.drain();
    const ready = await probe(bridge, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks['bridge:shutdown']).toEqual([expect.objectContaining({ status: 'fail', output: 'shutting down' })]);
  });
});
