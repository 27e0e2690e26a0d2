// An earlier build beside this one (`--baseline <copy of an earlier dist>/bundle/main.js`): its
// own bench modules are in the `bench` folder beside the folder its entry is in.
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { seedPendingChanges } from './seed-store.js';
import type { BenchPackage } from './world.js';

const benchOf = (entry: string) => join(dirname(dirname(entry)), 'bench');

/** The baseline build's scheduler child (bench/scheduler-child.ts as it was built then). */
export const baselineSchedulerChild = (entry: string): string => join(benchOf(entry), 'scheduler-child.js');

/**
 * The baseline build's own `seedPendingChanges`, given the same customers in its own terms (its
 * package constants, which it may compare by identity): its store's schema may be older.
 */
export async function baselineSeeding(entry: string): Promise<typeof seedPendingChanges> {
  const load = async <T>(file: string) => (await import(pathToFileURL(join(benchOf(entry), file)).href)) as T;
  const { seedPendingChanges: seed } = await load<{ seedPendingChanges: typeof seedPendingChanges }>('seed-store.js');
  const theirs = await load<{ LOWER: BenchPackage; UPPER: BenchPackage }>('world.js');
  return (target, customers, effectiveAt) =>
    seed(
      target,
      customers.map((c) => ({ ...c, startsOn: c.startsOn.offering === theirs.LOWER.offering ? theirs.LOWER : theirs.UPPER })),
      effectiveAt,
    );
}
