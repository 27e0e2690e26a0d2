// The brownout gate: decisions from the cached windows at the injected clock's instant,
// an operator's change seen by the next refresh, matched windows counted.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrownoutGate, type BrownoutGateStore } from '../../src/core/brownout-gate.js';
import { silentLogger } from '../../src/log.js';
import type { BrownoutHits, BrownoutState, BrownoutWindow } from '../../src/rules/brownout.js';
import { NO_SIGNALS, type DeprecationSignals } from '../../src/rules/deprecation.js';
import { brownoutWindow } from '../helpers/brownout.js';

const T0 = new Date('2027-03-01T10:00:00Z');
const window = (id: number, over: Partial<BrownoutWindow> = {}): BrownoutWindow => ({ id, ...brownoutWindow(T0, 60_000, over) });

function memoryStore(state: BrownoutState) {
  const counted: BrownoutHits[] = [];
  let reads = 0;
  const store: BrownoutGateStore & { state: BrownoutState; counted: BrownoutHits[]; reads(): number; failCounts: boolean } = {
    state,
    counted,
    reads: () => reads,
    failCounts: false,
    brownoutState: async () => {
      reads += 1;
      return store.state;
    },
    countBrownoutHits: async (hits) => {
      if (store.failCounts) throw new Error('store unavailable');
      counted.push(...hits.map((h) => ({ ...h })));
    },
  };
  return store;
}

const list = { surface: 'apiv2' as const, task: 'list', reseller: 'alice' };

afterEach(() => vi.useRealTimers());

describe('the brownout gate', () => {
  it('decides at the clock’s instant from the windows read at start', async () => {
    let now = new Date(T0.getTime() - 1);
    const gate = new BrownoutGate({ store: memoryStore({ enabled: true, windows: [window(1)] }), signals: NO_SIGNALS, now: () => now, logger: silentLogger });
    await gate.start();
    expect(gate.decide(list).kind).toBe('pass');
    now = new Date(T0.getTime() + 59_500);
    expect(gate.decide(list)).toMatchObject({ kind: 'refuse', status: 503, retryAfterSeconds: 1 });
    now = new Date(T0.getTime() + 60_000);
    expect(gate.decide(list).kind).toBe('pass');
    await gate.close();
  });

  it('an operator’s change is seen within a second, with no restart', async () => {
    vi.useFakeTimers();
    const store = memoryStore({ enabled: true, windows: [] });
    const gate = new BrownoutGate({ store, signals: NO_SIGNALS, now: () => T0, logger: silentLogger });
    await gate.start();
    expect(gate.decide(list).kind).toBe('pass');
    store.state = { enabled: true, windows: [window(1)] };
    await vi.advanceTimersByTimeAsync(1000);
    expect(gate.decide(list).kind).toBe('refuse');
    store.state = { enabled: false, windows: [window(1)] }; // the switch off
    await vi.advanceTimersByTimeAsync(1000);
    expect(gate.decide(list).kind).toBe('dry_run');
    await gate.close();
  });

  it('410 after the sunset of the request’s signal, when the window says so', async () => {
    const signals: DeprecationSignals = {
      ...NO_SIGNALS,
      apiv2: { surface: { deprecation: new Date('2026-01-01T00:00:00Z'), sunset: new Date('2027-01-01T00:00:00Z') }, tasks: new Map() },
    };
    const store = memoryStore({ enabled: true, windows: [window(1, { goneAfterSunset: true })] });
    const gate = new BrownoutGate({ store, signals, now: () => new Date(T0.getTime() + 1000), logger: silentLogger });
    await gate.start();
    expect(gate.decide(list)).toMatchObject({ kind: 'refuse', status: 410, retryAfterSeconds: undefined });
    expect(gate.decide({ surface: 'directory', task: 'change_package', reseller: 'dir' })).toMatchObject({ kind: 'refuse', status: 503 });
    await gate.close();
  });

  it('counts refusals and dry-run matches per window, exactly, across a failed write', async () => {
    const store = memoryStore({ enabled: true, windows: [window(1, { resellers: ['alice'] }), window(2, { dryRun: true })] });
    const gate = new BrownoutGate({ store, signals: NO_SIGNALS, now: () => T0, logger: silentLogger });
    await gate.start();
    for (let i = 0; i < 5; i++) gate.decide(list);
    for (let i = 0; i < 3; i++) gate.decide({ ...list, reseller: 'bob' });
    store.failCounts = true;
    await gate.refresh();
    expect(store.counted).toEqual([]);
    gate.decide(list);
    store.failCounts = false;
    await gate.close();
    const total = (id: number) =>
      store.counted.filter((h) => h.windowId === id).reduce((t, h) => ({ refused: t.refused + h.refused, wouldRefuse: t.wouldRefuse + h.wouldRefuse }), { refused: 0, wouldRefuse: 0 });
    expect(total(1)).toEqual({ refused: 6, wouldRefuse: 0 });
    expect(total(2)).toEqual({ refused: 0, wouldRefuse: 3 });
  });

  it('a refresh asked for while one is writing runs after it: what was counted meanwhile is written, at close() too', async () => {
    const store = memoryStore({ enabled: true, windows: [window(1)] });
    const gate = new BrownoutGate({ store, signals: NO_SIGNALS, now: () => T0, logger: silentLogger });
    await gate.start();
    let release!: () => void;
    const write = store.countBrownoutHits;
    store.countBrownoutHits = async (hits) => {
      await new Promise<void>((resolve) => (release = resolve)); // the first write is slow
      store.countBrownoutHits = write;
      return write(hits);
    };
    gate.decide(list);
    const running = gate.refresh(); // writing the first refusal
    gate.decide(list);
    gate.decide(list);
    const closing = gate.close(); // must write the two counted while the first write ran
    release();
    await Promise.all([running, closing]);
    expect(store.counted.reduce((n, h) => n + h.refused, 0)).toBe(3);
  });

  it('a store that cannot be read at start leaves nothing refused, and is read again', async () => {
    const store = memoryStore({ enabled: true, windows: [window(1)] });
    const read = store.brownoutState;
    store.brownoutState = async () => {
      store.brownoutState = read;
      throw new Error('store unavailable');
    };
    const gate = new BrownoutGate({ store, signals: NO_SIGNALS, now: () => T0, logger: silentLogger });
    await gate.start();
    expect(gate.decide(list).kind).toBe('pass');
    await gate.refresh();
    expect(gate.decide(list).kind).toBe('refuse');
    await gate.close();
  });

  it('two gates on one store decide the same at every instant of the clock', async () => {
    let now = T0;
    const store = memoryStore({
      enabled: true,
      windows: [window(1, { tasks: ['list'], endsAt: new Date(T0.getTime() + 30_000) }), window(2, { resellers: ['bob'], dryRun: true }), window(3, { startsAt: new Date(T0.getTime() + 20_000) })],
    });
    const gates = [0, 1].map(() => new BrownoutGate({ store, signals: NO_SIGNALS, now: () => now, logger: silentLogger }));
    await Promise.all(gates.map((g) => g.start()));
    const requests = [list, { ...list, reseller: 'bob' }, { ...list, task: 'overview' }, { ...list, reseller: 'bob', task: 'overview' }, { surface: 'directory' as const, task: 'change_package', reseller: 'dir' }];
    const seen = new Set<string>();
    for (let offset = -1000; offset <= 61_000; offset += 500) {
      now = new Date(T0.getTime() + offset);
      for (const request of requests) {
        const [a, b] = gates.map((g) => g.decide(request));
        expect(a, `${request.reseller} ${request.task} at +${offset}`).toEqual(b);
        seen.add(a!.kind === 'refuse' ? `refuse ${a!.window.id}` : a!.kind);
      }
    }
    expect([...seen].sort()).toEqual(['dry_run', 'pass', 'refuse 1', 'refuse 3']);
    await Promise.all(gates.map((g) => g.close()));
  });
});
