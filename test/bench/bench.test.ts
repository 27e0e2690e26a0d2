// The benchmark's own pieces: the generated world must stay a valid mappings folder as
// the format evolves, and the numbers it prints must be computed right.
import { describe, expect, it } from 'vitest';
import { CustomerRotation } from '../../bench/arms.js';
import { Samples } from '../../bench/stats.js';
import { createWorld, LOWER, UPPER } from '../../bench/world.js';
import { loadMappings } from '../../src/config/mappings.js';

describe('bench world', () => {
  it('is a mappings folder the bridge and the simulator accept, every customer with its account', () => {
    const world = createWorld('test', 10);
    try {
      const mappings = loadMappings(world.mappings);
      expect(mappings.customers).toHaveLength(10);
      const accounts = new Map(mappings.simulatorSeed!.accounts.map((a) => [a.id, a]));
      for (const customer of mappings.customers) expect(accounts.has(customer.account_id)).toBe(true);
      expect(new Set(world.customers.map((c) => c.startsOn))).toEqual(new Set([LOWER, UPPER]));
    } finally {
      world.remove();
    }
  });
});

describe('CustomerRotation', () => {
  it('flips a customer only when its change succeeded, and never hands out a busy one', () => {
    const world = createWorld('rotation', 2);
    world.remove();
    const rotation = new CustomerRotation(world.customers);
    const first = rotation.take()!;
    const second = rotation.take()!;
    expect(rotation.take()).toBeUndefined();
    expect([first.from, first.to]).toEqual([LOWER, UPPER]);
    first.done(true);
    second.done(false);
    expect(rotation.take()!.from).toBe(UPPER);
    expect(rotation.take()!.from).toBe(second.from);
  });
});

describe('Samples', () => {
  it('gives nearest-rank percentiles and throughput over the measured window', () => {
    const samples = new Samples();
    for (let i = 1; i <= 100; i++) samples.record(i, true, i <= 90);
    samples.record(500, 'HTTP 502', true);
    samples.windowMs = 2_000;
    expect(samples.percentile(50)).toBe(51);
    expect(samples.percentile(99)).toBe(100);
    expect(samples.percentile(100)).toBe(500);
    expect(samples.throughput).toBe(45);
    expect(samples.describeErrors()).toBe('1× HTTP 502');
  });
});
