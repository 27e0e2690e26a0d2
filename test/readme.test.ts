// Runs the README's examples, in order, against a started bridge and its simulator: every `curl`
// line and every `npm run -s bridge -- …` line (the operator CLI, as the compiled entry on the
// bridge's database). A `# …` line under a command is that command's exact answer. The walk-through's
// `usage` table must count exactly the legacy calls the examples made before it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entries } from '../harness/processes.js';
import { curlProblems } from './helpers/bridge-openapi.js';
import { DEMO, demoMappings, projectRoot, startTestBridge, type TestBridge } from './helpers/bridge.js';

const run = promisify(execFile);
const CLI = 'npm run -s bridge -- ';

interface Example {
  command: string;
  expected: string | undefined;
}

function examples(markdown: string): Example[] {
  const found: Example[] = [];
  for (const [, block] of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let last: Example | undefined;
    for (const line of block!.split('\n')) {
      if (line.startsWith('curl ') || line.startsWith(CLI)) found.push((last = { command: line, expected: undefined }));
      else if (line.startsWith('# ') && last) last.expected = last.expected === undefined ? line.slice(2) : `${last.expected}\n${line.slice(2)}`;
      else last = undefined;
    }
  }
  return found;
}

const all = examples(readFileSync(join(projectRoot, 'README.md'), 'utf8'));
const curls = all.filter((e) => e.command.startsWith('curl '));
let bridge: TestBridge;

beforeAll(async () => {
  bridge = await startTestBridge();
});
afterAll(async () => bridge.stop());

/** The table `bridge usage` prints: per task, the calls of the window and since first seen. */
function usageCounts(stdout: string): Map<string, [number, number]> {
  const [header, ...lines] = stdout.trimEnd().split('\n');
  expect(header).toMatch(/^RESELLER\s+SURFACE\s+TASK\s+AUTH\s+CALLS 30D\s+TOTAL\s/);
  const rows = lines.filter((l) => l.startsWith(`${DEMO.apiUser} `)).map((l) => l.split(/\s{2,}/));
  expect(lines.at(-1)).toMatch(/^1 callers, 0 ready for the sunset/);
  return new Map(rows.map((cells) => [cells[2]!, [Number(cells[4]), Number(cells[5])]]));
}

describe('README examples', () => {
  it('has examples for the bridge, the simulator alone and the operator CLI', () => {
    expect(curls.filter((e) => e.command.includes('localhost:3000')).length).toBeGreaterThanOrEqual(5);
    expect(curls.filter((e) => e.command.includes('localhost:3001')).length).toBeGreaterThanOrEqual(5);
    expect(all.filter((e) => e.command.startsWith(`${CLI}usage `))).toHaveLength(1);
  });

  it('every example answers 2xx, or what the README says it answers, in order; usage counts the calls exactly', async () => {
    const env = {
      ...process.env,
      PATH: `${join(projectRoot, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`,
      BRIDGE_DB: join(bridge.dir, 'bridge.db'),
      BRIDGE_MAPPINGS: demoMappings,
      SIMULATOR_PORT: '0',
      BRIDGE_SCHEDULER: 'off',
    };
    const calls = new Map<string, number>(); // the demo reseller's legacy calls so far, by task
    let usage: Map<string, [number, number]> | undefined;
    for (const { command, expected } of all) {
      const local = command
        .replaceAll('localhost:3000', bridge.url.replace('http://', ''))
        .replaceAll('localhost:3001', bridge.simulator!.url.replace('http://', ''));
      if (command.startsWith(CLI)) {
        if (command.startsWith(`${CLI}usage `)) await bridge.ledger.flush(); // the ledger is at most a second behind
        const { stdout } = await run('bash', ['-c', `node ${entries.cli} ${local.slice(CLI.length)}`], { cwd: projectRoot, env });
        if (expected !== undefined) expect(stdout, command).toBe(`${expected}\n`);
        if (command.startsWith(`${CLI}brownout `)) await bridge.brownouts.refresh(); // what the gate does within a second
        if (command.startsWith(`${CLI}explain `)) expect(stdout).toMatch(/curl -sS -X PUT .*\/v3\/partners\/accounts\/\w+\/offerings'/);
        if (command.startsWith(`${CLI}usage `)) usage = usageCounts(stdout);
        continue;
      }
      const { stdout } = await run('bash', ['-c', `${local} -w '\\n%{http_code}'`]);
      const cut = stdout.lastIndexOf('\n');
      const [body, status] = [stdout.slice(0, cut), Number(stdout.slice(cut + 1))];
      if (expected !== undefined) expect(body, command).toBe(expected);
      else {
        expect(status, `${command}\n${body}`).toBeGreaterThanOrEqual(200);
        expect(status, `${command}\n${body}`).toBeLessThan(300);
      }
      const task = /[?&']task=(\w+)/.exec(command)?.[1];
      if (command.includes('localhost:3000/apiv2/') && command.includes(`api_user=${DEMO.apiUser}&`) && task && !usage)
        calls.set(task, (calls.get(task) ?? 0) + 1);
    }
    expect(usage).toEqual(new Map([...calls].map(([task, n]) => [task, [n, n]])));
    expect(Object.fromEntries(calls)).toEqual({ immediate_upgrade: 3, scheduled_downgrade: 1, list: 2, delete: 1 }); // as the walk-through says
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
