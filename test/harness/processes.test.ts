// The process harness itself: what it collects, how it waits, how it stops a child.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pinnedNode, runNode, startNode, stopAll, waitUntil } from '../../harness/processes.js';

let dir: string;
/** Writes a child script and returns its path. */
const script = (name: string, source: string) => {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'harness-'));
});
afterEach(() => stopAll());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('process harness', () => {
  it('runs the pinned Node 24 with only the given environment, stdin fed, both streams collected', async () => {
    const echo = script(
      'echo.mjs',
      `let input = '';
       process.stdin.on('data', (d) => (input += d));
       process.stdin.on('end', () => {
         process.stdout.write(JSON.stringify({ input, version: process.version, env: Object.keys(process.env).sort(), args: process.argv.slice(2) }));
         process.stderr.write('to stderr');
         process.exitCode = 3;
       });`,
    );
    const run = await runNode(echo, { env: { ONLY: 'this' }, stdin: 'hello\n', args: ['a', 'b'] });
    expect(run).toMatchObject({ code: 3, signal: null, stderr: 'to stderr' });
    const seen = JSON.parse(run.stdout) as { input: string; version: string; env: string[]; args: string[] };
    expect(seen.input).toBe('hello\n');
    expect(Number(seen.version.slice(1).split('.')[0])).toBeGreaterThanOrEqual(24);
    expect(seen.env.filter((k) => !['PATH', 'HOME', 'ONLY'].includes(k) && !k.startsWith('NODE') && k !== '_')).toEqual([]);
    expect(seen.args).toEqual(['a', 'b']);
    expect(pinnedNode).toMatch(/node_modules\/\.bin\/node$/);
  });

  it('waits for output as it arrives, and fails at once when the child exits without it', async () => {
    const later = startNode(script('later.mjs', `setTimeout(() => console.log(JSON.stringify({ msg: 'up', url: 'http://127.0.0.1:9' })), 100); setInterval(() => {}, 1000);`));
    expect(await later.waitForLoggedUrl('up')).toBe('http://127.0.0.1:9');
    expect(later.running).toBe(true);

    const quits = startNode(script('quits.mjs', `console.log('something else'); process.exit(4);`));
    const started = Date.now();
    await expect(quits.waitForOutput(/never printed/, 20_000)).rejects.toThrow(/exited \(4\) before .*something else/s);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops a child that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const stubborn = startNode(script('stubborn.mjs', `process.on('SIGTERM', () => console.log('ignored')); console.log('ready'); setInterval(() => {}, 1000);`));
    await stubborn.waitForOutput(/ready/);
    expect(await stubborn.stop('SIGTERM', 300)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(stubborn.output()).toContain('ignored');
    expect(stubborn.running).toBe(false);
  });

  it('waitUntil gives up as soon as the process it watches exits', async () => {
    const short = startNode(script('short.mjs', `setTimeout(() => process.exit(0), 50);`));
    await expect(waitUntil('a condition never true', () => false, { process: short, timeoutMs: 20_000 })).rejects.toThrow(/exited \(0\) while waiting/);
    expect(await waitUntil('a value', () => 42)).toBe(42);
  });
});
