// The Dockerfile, without a Docker engine: linted by dockerfile-utils (the linter of the Docker
// language server), and checked for what running it in production needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { projectRoot } from '../../harness/processes.js';
import { describe, expect, it } from 'vitest';
import { npmStartSettings } from '../../bench/start-flags.js';
import { dockerfileText, stages } from './dockerfile.js';

describe('the Dockerfile', () => {
  it('lints clean', () => {
    expect(validate(dockerfileText()).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('the linter is not a rubber stamp', () => {
    expect(validate('FROM node:24\nHEALTHCHECK --every=1s CMD ["true"]\nEXPOSE port\n').length).toBe(2);
  });

  const all = stages();
  const runtime = all.at(-1)!;
  const only = (keyword: string) => runtime.filter((i) => i.keyword === keyword);

  it('builds in one stage and runs from another, both on the official Node 24 image', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const stage of all) expect(stage[0]!.args).toMatch(/^node:24(\.\d+){0,2}-[a-z]+(-slim)?( AS \w+)?$/);
  });

  it('builds first, then installs only the production dependencies', () => {
    const build = all[0]!.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' && ');
    expect(build.indexOf('npm run build')).toBeGreaterThan(-1);
    expect(build.indexOf('npm ci --omit=dev')).toBeGreaterThan(build.indexOf('npm run build'));
  });

  it('runs as a non-root user, node in exec form, with a stop signal and an exec-form health check on /livez', () => {
    expect(only('USER').map((i) => i.args)).toEqual(['node']);
    // The same command as `npm start` (its Node flags included), without the shell's `exec` and
    // the `env NAME=value …` before node (those are the image's ENV: the next test).
    const start = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    expect(start).toMatch(/^exec (env (\w+=\S+ )+)?node .*dist\/bundle\/main\.js$/);
    expect(only('CMD').map((i) => JSON.parse(i.args))).toEqual([start.replace(/^exec (env (\w+=\S+ )+)?/, '').split(' ')]);
    expect(only('STOPSIGNAL').map((i) => i.args)).toEqual(['SIGTERM']);
    const [healthcheck] = only('HEALTHCHECK');
    expect(JSON.parse(/CMD (\[.*\])$/.exec(healthcheck!.args)![1]!)).toEqual(['node', 'dist/src/healthcheck.js']);
  });

  it("sets the environment variables `npm start` sets (its memory settings), to the same values", () => {
    const env = new Map<string, string>();
    for (const { args } of only('ENV')) for (const [, name, value] of args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) env.set(name!, value!.replace(/^"|"$/g, ''));
    const started = npmStartSettings().env;
    expect(Object.keys(started).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(started)) expect(`${name}=${env.get(name)}`).toBe(`${name}=${value}`);
  });

  it('leaves a place for Node flags', () => {
    expect(only('ENV').some((i) => i.args.startsWith('NODE_OPTIONS='))).toBe(true);
  });
});
