// Where the project's files are, the same from `dist/bench` (npm run bench) and from `bench/` (vitest).
import { join } from 'node:path';
import { entries, projectRoot } from '../harness/processes.js';

export { projectRoot };
export const demoMappingsFolder = join(projectRoot, 'mappings');
/** The compiled entry points the benchmarks start as their own processes. */
export const compiled = {
  bridge: join(projectRoot, entries.bridge),
  simulator: join(projectRoot, entries.simulator),
  schedulerChild: join(projectRoot, 'dist/bench/scheduler-child.js'),
  // The floors bundled as the bridge is (harness/bundle.mjs), so only what they do differs.
  floor: join(projectRoot, 'dist/bench/bundle/floor.js'),
  floorOnStack: join(projectRoot, 'dist/bench/bundle/floor-on-stack.js'),
  drainFloor: join(projectRoot, 'dist/bench/drain-floor.js'),
};
