// deprecation.json: the Deprecation/Sunset signals per surface and task, resolved once at
// start-up. A task's entry overrides the fields it names; the rest come from its surface.
import {
  LEGACY_TASKS,
  NO_SIGNALS,
  type DeprecationSignal,
  type DeprecationSignals,
  type LegacySurface,
} from '../rules/deprecation.js';
import type { DeprecationSignalMapping } from './mappings-schema.js';

/** The signals, or the problems that stop start-up (each naming the file and the entry). */
export function resolveDeprecationSignals(
  file: string,
  entries: readonly DeprecationSignalMapping[],
  problems: string[],
): DeprecationSignals {
  const name = (e: DeprecationSignalMapping) => `signal "${e.surface}${e.task ? ` ${e.task}` : ''}"`;
  const seen = new Set<string>();
  const valid = entries.filter((entry) => {
    const key = name(entry);
    if (seen.has(key)) return void problems.push(`${file}: ${key}: appears twice`);
    seen.add(key);
    if (entry.task !== undefined && !LEGACY_TASKS[entry.surface].includes(entry.task))
      return void problems.push(
        `${file}: ${key}: unknown task "${entry.task}" (${entry.surface} tasks: ${LEGACY_TASKS[entry.surface].join(', ')})`,
      );
    return true;
  });

  const resolved = { apiv2: { surface: undefined, tasks: new Map() }, directory: { surface: undefined, tasks: new Map() } } as {
    [S in LegacySurface]: { surface: DeprecationSignal | undefined; tasks: Map<string, DeprecationSignal> };
  };
  const surfaceEntry = (surface: LegacySurface) => valid.find((e) => e.surface === surface && e.task === undefined);
  for (const entry of valid) {
    const base = entry.task === undefined ? undefined : surfaceEntry(entry.surface);
    const merged = { ...base, ...entry };
    if (merged.deprecation === undefined) {
      problems.push(`${file}: ${name(entry)}: deprecation is required (here or in the entry of surface "${entry.surface}")`);
      continue;
    }
    const signal: DeprecationSignal = {
      deprecation: new Date(merged.deprecation),
      sunset: merged.sunset === undefined ? undefined : new Date(merged.sunset),
      migrationGuide: merged.migration_guide,
      policy: merged.policy,
    };
    if (signal.sunset && signal.sunset.getTime() < signal.deprecation.getTime()) {
      problems.push(`${file}: ${name(entry)}: sunset ${merged.sunset} is earlier than the deprecation ${merged.deprecation}`);
      continue;
    }
    if (entry.task === undefined) resolved[entry.surface].surface = signal;
    else resolved[entry.surface].tasks.set(entry.task, signal);
  }
  return entries.length ? resolved : NO_SIGNALS;
}
