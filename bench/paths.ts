// Where the project lives, found from this module so the bench runs the same from
// `dist/bench` (npm run bench) and from `bench/` (vitest).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('bench: package.json not found above the bench module');
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot();
export const demoMappingsFolder = join(projectRoot, 'mappings');
/** The compiled entry points the benchmarks start as their own processes. */
export const compiled = {
  bridge: join(projectRoot, 'dist/src/main.js'),
  simulator: join(projectRoot, 'dist/src/simulator/main.js'),
  schedulerChild: join(projectRoot, 'dist/bench/scheduler-child.js'),
};
