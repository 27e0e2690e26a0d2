// mappings/deprecation.json: validated like the other mappings files; start-up refuses a
// sunset before its deprecation, and every problem names the file and the entry.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/errors.js';
import { demoMappings } from '../helpers/bridge.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** The demo mappings with deprecation.json's signals replaced (or the file removed). */
function withSignals(signals: unknown[] | undefined): string {
  const folder = mkdtempSync(join(tmpdir(), 'bridge-mappings-'));
  folders.push(folder);
  cpSync(demoMappings, folder, { recursive: true });
  if (signals === undefined) rmSync(join(folder, 'deprecation.json'));
  else writeFileSync(join(folder, 'deprecation.json'), JSON.stringify({ version: 1, signals }));
  return folder;
}

function problemsOf(folder: string): string[] {
  try {
    loadConfig({ BRIDGE_MAPPINGS: folder });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

const surface = { surface: 'apiv2', deprecation: '2026-01-01T00:00:00Z', sunset: '2027-01-01T00:00:00Z' };

describe('deprecation.json', () => {
  it('the demo file resolves per surface and per task, a task inheriting what it leaves out', () => {
    const demo = JSON.parse(readFileSync(join(demoMappings, 'deprecation.json'), 'utf8'));
    const [apiv2, overview, directory] = demo.signals;
    const { deprecation } = loadConfig({ BRIDGE_MAPPINGS: demoMappings }).mappings;
    expect(deprecation.apiv2.surface).toEqual({
      deprecation: new Date(apiv2.deprecation),
      sunset: new Date(apiv2.sunset),
      migrationGuide: apiv2.migration_guide,
      policy: apiv2.policy,
    });
    expect(deprecation.apiv2.tasks.get('overview')).toEqual({ ...deprecation.apiv2.surface, sunset: new Date(overview.sunset) });
    expect(deprecation.directory.surface?.sunset).toEqual(new Date(directory.sunset));
  });

  it('is optional: without it no signal is configured', () => {
    const { deprecation } = loadConfig({ BRIDGE_MAPPINGS: withSignals(undefined) }).mappings;
    expect(deprecation.apiv2.surface).toBeUndefined();
    expect(deprecation.directory.surface).toBeUndefined();
  });

  it.each([
    [
      'a sunset earlier than the deprecation',
      [{ ...surface, sunset: '2025-12-31T23:59:59Z' }],
      /deprecation\.json: signal "apiv2": sunset 2025-12-31T23:59:59Z is earlier than the deprecation 2026-01-01T00:00:00Z$/,
    ],
    [
      "a task's sunset earlier than its surface's deprecation",
      [surface, { surface: 'apiv2', task: 'overview', sunset: '2025-01-01T00:00:00Z' }],
      /deprecation\.json: signal "apiv2 overview": sunset 2025-01-01T00:00:00Z is earlier than the deprecation/,
    ],
    ['an unknown task', [surface, { surface: 'apiv2', task: 'change_package' }], /signal "apiv2 change_package": unknown task "change_package" \(apiv2 tasks: immediate_upgrade, /],
    ['an entry twice', [surface, surface], /deprecation\.json: signal "apiv2": appears twice$/],
    ['no deprecation date anywhere', [{ surface: 'directory', task: 'change_package' }], /signal "directory change_package": deprecation is required/],
    ['an unknown surface', [{ ...surface, surface: 'v3' }], /deprecation\.json: signal "v3": surface must be one of "apiv2", "directory"$/],
    ['a date that is not an instant', [{ ...surface, sunset: '2027-01-01' }], /deprecation\.json: signal "apiv2": sunset must be an ISO-8601 instant with offset \(2031-01-15T00:00:00Z\)$/],
    ['a link that is not a web page', [{ ...surface, policy: 'javascript:alert(1)' }], /deprecation\.json: signal "apiv2": policy must be an http\(s\) URL$/],
    ['an unknown field', [{ ...surface, sunset_at: '2027-01-01T00:00:00Z' }], /deprecation\.json: signal "apiv2": has unknown field "sunset_at"$/],
  ])('%s stops start-up, named', (_what, signals, expected) => {
    const folder = withSignals(signals);
    const problems = problemsOf(folder);
    expect(problems).toEqual([expect.stringMatching(expected)]);
    expect(problems[0]!.startsWith(join(folder, 'deprecation.json'))).toBe(true);
  });
});
