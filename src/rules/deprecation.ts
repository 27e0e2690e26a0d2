// Deprecation and Sunset signals of the legacy surfaces (RFC 9745, RFC 8594, RFC 8288):
// which signal applies to a request, and the header values that carry it. Pure.

export const LEGACY_SURFACES = ['apiv2', 'directory'] as const;
export type LegacySurface = (typeof LEGACY_SURFACES)[number];

/** Every legacy task by surface: what a per-task signal, a brownout or the ledger may name. */
export const LEGACY_TASKS: Readonly<Record<LegacySurface, readonly string[]>> = {
  apiv2: [
    'immediate_upgrade',
    'immediate_downgrade',
    'immediate_close',
    'scheduled_upgrade',
    'scheduled_downgrade',
    'scheduled_close',
    'overview',
    'list',
    'delete',
  ],
  directory: ['change_package'],
};

export interface DeprecationSignal {
  /** When the surface (or task) is, or will be, deprecated. */
  deprecation: Date;
  /** When it stops answering; never before `deprecation`. */
  sunset?: Date | undefined;
  /** Where a client's developers learn how to migrate: `rel="deprecation"`. */
  migrationGuide?: string | undefined;
  /** The sunset policy: `rel="sunset"`. */
  policy?: string | undefined;
}

/** The signals of one surface: the surface's own, and tasks that differ from it. */
export interface SurfaceSignals {
  surface: DeprecationSignal | undefined;
  tasks: ReadonlyMap<string, DeprecationSignal>;
}

export type DeprecationSignals = Readonly<Record<LegacySurface, SurfaceSignals>>;

export const NO_SIGNALS: DeprecationSignals = {
  apiv2: { surface: undefined, tasks: new Map() },
  directory: { surface: undefined, tasks: new Map() },
};

/** The task's signal if it has one, else its surface's (also for a request whose task is unknown). */
export function signalFor(signals: DeprecationSignals, surface: LegacySurface, task: string | undefined): DeprecationSignal | undefined {
  const of = signals[surface];
  return (task !== undefined ? of.tasks.get(task) : undefined) ?? of.surface;
}

/** RFC 9745: an sf-date, `@` and the integer seconds since the epoch. */
export function deprecationHeader(at: Date): string {
  return `@${Math.floor(at.getTime() / 1000)}`;
}

/** RFC 8594: an HTTP-date in its IMF-fixdate form, `Sun, 06 Nov 1994 08:49:37 GMT`. */
export function sunsetHeader(at: Date): string {
  return at.toUTCString(); // ECMA-262 specifies exactly the IMF-fixdate layout
}

/** RFC 8288 Link values: the migration guide as `deprecation`, the policy as `sunset`. */
export function linkHeader(signal: DeprecationSignal): string | undefined {
  const links = [
    ...(signal.migrationGuide ? [`<${signal.migrationGuide}>; rel="deprecation"; type="text/html"`] : []),
    ...(signal.policy ? [`<${signal.policy}>; rel="sunset"; type="text/html"`] : []),
  ];
  return links.length ? links.join(', ') : undefined;
}

/** The response headers carrying a signal, in the order they are written. */
export function signalHeaders(signal: DeprecationSignal): [name: string, value: string][] {
  const link = linkHeader(signal);
  return [
    ['Deprecation', deprecationHeader(signal.deprecation)],
    ...(signal.sunset ? ([['Sunset', sunsetHeader(signal.sunset)]] as [string, string][]) : []),
    ...(link ? ([['Link', link]] as [string, string][]) : []),
  ];
}

/** Whether `at` is at or after the signal's sunset. */
export function isPastSunset(signal: DeprecationSignal | undefined, at: Date): boolean {
  return signal?.sunset !== undefined && at.getTime() >= signal.sunset.getTime();
}
