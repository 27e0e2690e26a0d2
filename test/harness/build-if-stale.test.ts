// build-if-stale (prestart, prebridge, the processes project's global setup): compiles only when
// an input is newer than the last build's stamp, including after edits, deletions, a new install
// and a failed build.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIfStale, isCurrent, stampOf } from '../../harness/build-if-stale.mjs';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const past = new Date(Date.now() - 3_600_000);

/** A project with sources an hour old, and a compile that counts its calls. */
function project() {
  const root = mkdtempSync(join(tmpdir(), 'build-if-stale-'));
  roots.push(root);
  for (const folder of ['src/core', 'bench', 'harness']) mkdirSync(join(root, folder), { recursive: true });
  const files = ['src/main.ts', 'src/core/a.ts', 'bench/main.ts', 'harness/processes.ts', 'tsconfig.json', 'tsconfig.build.json'];
  for (const file of files) writeFileSync(join(root, file), '// source\n');
  for (const path of [...files, 'src/core', 'src', 'bench', 'harness']) utimesSync(join(root, path), past, past);
  let compiles = 0;
  const build = (fail = false) =>
    buildIfStale({
      root,
      log: () => undefined,
      compile: () => {
        compiles++;
        if (fail) throw new Error('tsc failed');
      },
    });
  return { root, build, compiles: () => compiles };
}

describe('build-if-stale', () => {
  it('builds without a stamp, then not again while nothing changed', () => {
    const p = project();
    expect(p.build()).toBe(true);
    expect(p.build()).toBe(false);
    expect(p.compiles()).toBe(1);
    expect(isCurrent(p.root)).toBe(true);
  });

  it.each([
    ['an edited source', (root: string) => writeFileSync(join(root, 'src/core/a.ts'), '// edited\n')],
    ['a new source in a benchmark', (root: string) => writeFileSync(join(root, 'bench/new.ts'), '// new\n')],
    ['a deleted source', (root: string) => rmSync(join(root, 'src/core/a.ts'))],
    ['an edited tsconfig', (root: string) => writeFileSync(join(root, 'tsconfig.build.json'), '{}\n')],
    ['an edited harness file', (root: string) => writeFileSync(join(root, 'harness/processes.ts'), '// edited\n')],
    // The bundle holds the packages' code: a new lock file, or `npm ci` reinstalling them, rebuilds it.
    ['a changed package-lock.json', (root: string) => writeFileSync(join(root, 'package-lock.json'), '{}\n')],
    ['a fresh npm ci', (root: string) => {
      mkdirSync(join(root, 'node_modules'));
      writeFileSync(join(root, 'node_modules/.package-lock.json'), '{}\n');
    }],
  ])('rebuilds after %s', (_name, change) => {
    const p = project();
    p.build();
    change(p.root);
    expect(isCurrent(p.root)).toBe(false);
    expect(p.build()).toBe(true);
    expect(p.compiles()).toBe(2);
  });

  it('a failed build leaves no stamp, so the next run builds again', () => {
    const p = project();
    expect(() => p.build(true)).toThrow('tsc failed');
    expect(isCurrent(p.root)).toBe(false);
    expect(p.build()).toBe(true);
  });

  it('the stamp takes the time the build started: a source edited during the build is newer', () => {
    const p = project();
    buildIfStale({
      root: p.root,
      log: () => undefined,
      compile: (root) => {
        const during = new Date(Date.now() + 1_000);
        writeFileSync(join(root, 'src/main.ts'), '// edited while compiling\n');
        utimesSync(join(root, 'src/main.ts'), during, during);
      },
    });
    expect(isCurrent(p.root)).toBe(false);
    expect(stampOf(p.root)).toBe(join(p.root, 'dist', '.build-stamp'));
  });
});
