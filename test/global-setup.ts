// Compiles dist/ once per test run: some tests start the bridge, the simulator or the CLI as
// their own processes, and must run the code under test, not a stale build.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function buildOnce(): void {
  const root = resolve(fileURLToPath(import.meta.url), '../..');
  const bin = resolve(root, 'node_modules/.bin');
  execFileSync(resolve(bin, 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
  });
}
