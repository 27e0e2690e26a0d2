import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The test files that start a compiled entry (dist/) as its own process: the bridge, the
 * simulator, the CLI, a benchmark's child. Only their project has the global setup that builds
 * dist/ (when stale), and vitest runs a project's global setup only when one of its files is
 * selected: running a unit file never compiles. test/harness/test-projects.test.ts fails when a
 * file starts a compiled entry without being listed here.
 */
export const PROCESS_TESTS = [
  'test/bench/bench.test.ts',
  'test/bundle.test.ts',
  'test/cli/brownout.test.ts',
  'test/cli/cli.test.ts',
  'test/config/startup-process.test.ts',
  'test/readme.test.ts',
  'test/scheduler/crash.test.ts',
  'test/scheduler/immediate-crash.test.ts',
  'test/secrets-in-logs.test.ts',
  'test/shutdown.test.ts',
  'test/simulator/main.test.ts',
  'test/startup-modules.test.ts',
  'test/trial/crash-trial.test.ts',
];

export default defineConfig({
  test: {
    // Its own script (npm run test:production-layout): a production install takes a minute or more.
    exclude: [...configDefaults.exclude, 'test/production/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time on two cores (vitest's default leaves one core idle): most files spend
    // their time waiting on processes, sockets and timeouts, not computing.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      // In-process tests share their workers (no fresh module graph per file: a tenth of the suite's
      // time); the store's contract tests keep one each, since each file migrates its own schema.
      {
        extends: true,
        test: { name: 'unit', isolate: false, include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/production/**', 'test/store/**', ...PROCESS_TESTS] },
      },
      { extends: true, test: { name: 'store', include: ['test/store/**/*.test.ts'] } },
      { extends: true, test: { name: 'processes', include: PROCESS_TESTS, globalSetup: ['test/global-setup.ts'] } },
    ],
  },
});
