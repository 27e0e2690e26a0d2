import { describe, expect, it } from 'vitest';
import { KeyedMutex, LockReentryError } from '../../src/store/keyed-mutex.js';
import { seed, STORES } from './helpers.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('runs callers of one key one at a time, in the order they asked', async () => {
    const mutex = new KeyedMutex<number>();
    const events: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const runs = gates.map((gate, i) =>
      mutex.run(1, async () => {
        events.push(`start ${i}`);
        await gate.promise;
        events.push(`end ${i}`);
        return i;
      }),
    );
    await tick();
    expect(events).toEqual(['start 0']);
    gates[2]!.resolve();
    gates[1]!.resolve();
    await tick();
    expect(events).toEqual(['start 0']);
    gates[0]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('does not make different keys wait for each other', async () => {
    const mutex = new KeyedMutex<number>();
    const gate = deferred();
    const slow = mutex.run(1, () => gate.promise);
    expect(await mutex.run(2, async () => 'other key')).toBe('other key');
    gate.resolve();
    await slow;
  });

  it('releases after a failure, passing the error to its caller only', async () => {
    const mutex = new KeyedMutex<string>();
    const failing = mutex.run('k', async () => {
      throw new Error('boom');
    });
    const next = mutex.run('k', async () => 'next');
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('next');
    expect(mutex.size).toBe(0);
  });

  it('leaves no map entry once every caller released', async () => {
    const mutex = new KeyedMutex<number>();
    await Promise.all(Array.from({ length: 100 }, (_, i) => mutex.run(i % 7, async () => tick())));
    expect(mutex.size).toBe(0);
    const gate = deferred();
    const held = mutex.run(3, () => gate.promise);
    expect(mutex.size).toBe(1);
    gate.resolve();
    await held;
    expect(mutex.size).toBe(0);
  });

  it('turns a re-entrant call for a held key into an error instead of a deadlock', async () => {
    const mutex = new KeyedMutex<number>();
    await expect(mutex.run(1, () => mutex.run(1, async () => 'never'))).rejects.toBeInstanceOf(LockReentryError);
    expect(await mutex.run(1, () => mutex.run(2, async () => 'nested other key'))).toBe('nested other key');
    expect(mutex.size).toBe(0);
  });

  it('lets work started under a lock take it again once that lock was released', async () => {
    const mutex = new KeyedMutex<number>();
    let later: Promise<string> | undefined;
    const gate = deferred();
    await mutex.run(1, async () => {
      later = gate.promise.then(() => mutex.run(1, async () => 'after release'));
    });
    gate.resolve();
    expect(await later).toBe('after release');
  });
});

describe.each(STORES)('$name store: withCustomerLock', ({ open }) => {
  it('serialises work on one customer within one store', async () => {
    const { store } = await open();
    const { alice } = await seed(store);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        store.withCustomerLock(alice!.id, async () => {
          inside += 1;
          most = Math.max(most, inside);
          await tick();
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});
