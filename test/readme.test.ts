// Runs the README's curl examples, in order, against a started bridge and its simulator.
// A `# …` line under a command is that command's exact answer.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curlProblems } from './helpers/bridge-openapi.js';
import { projectRoot, startTestBridge, type TestBridge } from './helpers/bridge.js';

const run = promisify(execFile);

interface Example {
  command: string;
  expected: string | undefined;
}

function curlExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  for (const [, block] of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block!.split('\n')) {
      if (line.startsWith('curl ')) examples.push({ command: line, expected: undefined });
      else if (line.startsWith('# ') && examples.length && block!.includes(examples.at(-1)!.command)) {
        const last = examples.at(-1)!;
        last.expected = last.expected === undefined ? line.slice(2) : `${last.expected}\n${line.slice(2)}`;
      }
    }
  }
  return examples;
}

const examples = curlExamples(readFileSync(join(projectRoot, 'README.md'), 'utf8'));
let bridge: TestBridge;

beforeAll(async () => {
  bridge = await startTestBridge();
});
afterAll(async () => bridge.stop());

describe('README curl examples', () => {
  it('has examples for the bridge and for the simulator alone', () => {
    expect(examples.filter((e) => e.command.includes('localhost:3000')).length).toBeGreaterThanOrEqual(5);
    expect(examples.filter((e) => e.command.includes('localhost:3001')).length).toBeGreaterThanOrEqual(5);
  });

  it('every example answers 2xx, or what the README says it answers, in order', async () => {
    const answers: string[] = [];
    for (const { command, expected } of examples) {
      const local = command
        .replaceAll('localhost:3000', bridge.url.replace('http://', ''))
        .replaceAll('localhost:3001', bridge.simulator!.url.replace('http://', ''));
      const { stdout } = await run('bash', ['-c', `${local} -w '\\n%{http_code}'`]);
      const cut = stdout.lastIndexOf('\n');
      const [body, status] = [stdout.slice(0, cut), Number(stdout.slice(cut + 1))];
      answers.push(`${status} ${command}`);
      if (expected !== undefined) expect(body, command).toBe(expected);
      else expect(status, `${command}\n${body}`).toBeGreaterThanOrEqual(200);
      if (expected === undefined) expect(status, `${command}\n${body}`).toBeLessThan(300);
    }
    expect(answers).toHaveLength(examples.length);
  });
});

describe('README curl lines against openapi.json', () => {
  // Every curl line of every code block that calls the bridge (the main port or the admin
  // listener); the simulator's (localhost:3001) speak v3, checked against v3's own description.
  const lines = [...readFileSync(join(projectRoot, 'README.md'), 'utf8').matchAll(/```[a-z]*\n([\s\S]*?)```/g)]
    .flatMap(([, block]) => block!.split('\n'))
    .filter((line) => line.startsWith('curl ') && !line.includes('localhost:3001'));

  it('covers the legacy surface, the directory endpoint, the probes and the admin listener', () => {
    expect(lines.filter((l) => l.includes('/apiv2/')).length).toBeGreaterThanOrEqual(5);
    for (const path of ['/v1/partners/accounts/', '/livez', '/readyz', '/healthz', 'localhost:3002/'])
      expect(lines.some((l) => l.includes(path)), path).toBe(true);
  });

  it('each path, method, parameter and header is one openapi.json declares', () => {
    expect(lines.flatMap((line) => curlProblems(line))).toEqual([]);
  });
});
