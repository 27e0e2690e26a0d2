// Starts the v3 simulator for a test, seeded with the demo world in /work/main/mappings.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMappings } from '../../src/config/mappings.js';
import type { SimulatorSeed } from '../../src/config/mappings-schema.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/server.js';

export type { Simulator, SimulatorOptions };

export const projectRoot = resolve(fileURLToPath(import.meta.url), '../../..');
export const demoMappingsFolder = resolve(projectRoot, 'mappings');

/** The demo seed (mappings/simulator.json), freshly loaded so a test may change its copy. */
export function demoSeed(): SimulatorSeed {
  const seed = loadMappings(demoMappingsFolder).simulatorSeed;
  if (!seed) throw new Error(`${demoMappingsFolder}: no simulator.json`);
  return seed;
}

/** The demo seed's keys: the main reseller's (`SIMULATOR_API_KEY` default) and the second one's. */
export const DEMO_KEY = 'SG.demo-reseller-key';
export const SECOND_RESELLER_KEY = 'SG.demo-second-reseller-key';

/** A simulator on 127.0.0.1 and a free port; close it in afterEach/afterAll. */
export function startTestSimulator(overrides: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  return startSimulator({ seed: demoSeed(), host: '127.0.0.1', port: 0, ...overrides });
}
