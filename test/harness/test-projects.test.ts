// Only the `processes` project builds dist/ (vitest.config.ts): a test file that starts a compiled
// entry must be in it, or running it alone could start a stale build; and a file listed there
// must exist and start one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROCESS_TESTS } from '../../vitest.config.js';
import { projectRoot } from '../helpers/bridge.js';

/** What starts a compiled entry: the harness's entries, the CLI's compiled runner, the benchmarks' and crash tests' starters, the crash trial's suite, npm scripts, a compiled module loaded in a child. */
const STARTS_COMPILED = /\bcompiledModule\(|\bdefineTrial\(|\bentries\.(bridge|simulator|cli)\b|\brunCompiled\(|\bstartSimulatorProcess\(|\bstartFloorProcess\(|\bstartBridgeProcess\(|\bstartNpm\(/;

const testFiles = readdirSync(join(projectRoot, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts') && !f.startsWith('production/'))
  .map((f) => `test/${f}`);

describe('the processes project', () => {
  it('holds every test file that starts a compiled entry', () => {
    const starting = testFiles.filter((f) => STARTS_COMPILED.test(readFileSync(join(projectRoot, f), 'utf8')));
    expect(starting.length).toBeGreaterThan(5);
    expect(starting.filter((f) => !PROCESS_TESTS.includes(f))).toEqual([]);
  });

  it('lists only files that exist and start one', () => {
    for (const file of PROCESS_TESTS) {
      expect(existsSync(join(projectRoot, file)), file).toBe(true);
      expect(STARTS_COMPILED.test(readFileSync(join(projectRoot, file), 'utf8')), file).toBe(true);
    }
  });
});
