// `brownout`: the operator's windows and switch, written to the store every bridge reads them
// from (each instance's gate re-reads the store at least every second: no restart).
import { InvalidArgumentError } from 'commander';
import { LEGACY_SURFACES, LEGACY_TASKS, type LegacySurface } from '../../rules/deprecation.js';
import type { BrownoutWindowRecord } from '../../store/ledger.js';
import { readOnlyConfig, withStore } from '../context.js';
import { CliError, EXIT, writeJson, type CliIo } from '../io.js';
import { renderTable } from '../table.js';

export interface BrownoutAddOptions {
  start?: Date;
  end: Date;
  surface?: LegacySurface[];
  task?: string[];
  reseller?: string[];
  dryRun?: boolean;
  goneAfterSunset?: boolean;
  note?: string;
  json?: boolean;
}

const list = (value: string): string[] => [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))];

export function parseSurfaces(value: string): LegacySurface[] {
  const names = list(value);
  if (!names.length || names.some((n) => !(LEGACY_SURFACES as readonly string[]).includes(n)))
    throw new InvalidArgumentError(`Expected a comma-separated list of ${LEGACY_SURFACES.join(', ')}`);
  return names as LegacySurface[];
}

export function parseTasks(value: string): string[] {
  const known = new Set(Object.values(LEGACY_TASKS).flat());
  const names = list(value);
  if (!names.length || names.some((n) => !known.has(n))) throw new InvalidArgumentError(`Expected a comma-separated list of legacy tasks: ${[...known].join(', ')}`);
  return names;
}

export function parseResellers(value: string): string[] {
  const names = list(value);
  if (!names.length) throw new InvalidArgumentError('Expected a comma-separated list of api_users or directory ids');
  return names;
}

export function parseWindowId(value: string): number {
  if (!/^[1-9]\d{0,14}$/.test(value)) throw new InvalidArgumentError('Expected a brownout window id (a positive whole number, from list)');
  return Number(value);
}

export async function brownoutAddCommand(io: CliIo, options: BrownoutAddOptions): Promise<void> {
  const startsAt = options.start ?? new Date();
  if (options.end.getTime() <= startsAt.getTime()) throw new CliError('--end must be after --start (default: now)', EXIT.usage);
  const surfaces = options.surface ?? [];
  const tasks = options.task ?? [];
  // A task no chosen surface has would make a window that matches nothing.
  const offered = new Set((surfaces.length ? surfaces : LEGACY_SURFACES).flatMap((s) => LEGACY_TASKS[s]));
  const stray = tasks.filter((t) => !offered.has(t));
  if (stray.length) throw new CliError(`--task ${stray.join(',')}: not a task of --surface ${surfaces.join(',')}`, EXIT.usage);
  const window = await withStore(readOnlyConfig(io), (store) =>
    store.addBrownout({
      startsAt,
      endsAt: options.end,
      surfaces,
      tasks,
      resellers: options.reseller ?? [],
      dryRun: options.dryRun === true,
      goneAfterSunset: options.goneAfterSunset === true,
      note: options.note,
    }),
  );
  if (options.json) return writeJson(io, window);
  io.stdout.write(`Brownout ${window.id} added: ${describe(window)}.\n`);
}

export async function brownoutListCommand(io: CliIo, options: { json?: boolean }): Promise<void> {
  const listed = await withStore(readOnlyConfig(io), (store) => store.listBrownouts());
  if (options.json) return writeJson(io, listed);
  const state = `Brownouts are ${listed.enabled ? 'on' : 'off (every window only counts, as a dry run)'}.\n`;
  if (!listed.windows.length) return void io.stdout.write(`${state}No brownout window.\n`);
  io.stdout.write(
    state +
      renderTable(
        ['ID', 'START', 'END', 'SURFACES', 'TASKS', 'RESELLERS', 'MODE', 'REFUSED', 'WOULD REFUSE', 'NOTE'],
        listed.windows.map((w) => [
          w.id,
          w.startsAt.toISOString(),
          w.endsAt.toISOString(),
          w.surfaces.join(',') || 'all',
          w.tasks.join(',') || 'all',
          w.resellers.join(',') || 'all',
          mode(w),
          w.refused,
          w.wouldRefuse,
          w.note,
        ]),
      ),
  );
}

export async function brownoutRemoveCommand(io: CliIo, id: number): Promise<void> {
  const removed = await withStore(readOnlyConfig(io), (store) => store.removeBrownout(id));
  if (!removed) throw new CliError(`no brownout window ${id}`);
  io.stdout.write(`Brownout ${id} removed.\n`);
}

export async function brownoutSwitchCommand(io: CliIo, enabled: boolean): Promise<void> {
  await withStore(readOnlyConfig(io), (store) => store.setBrownoutsEnabled(enabled));
  io.stdout.write(enabled ? 'Brownouts on: windows refuse (dry-run windows still only count).\n' : 'Brownouts off: every window only counts, as a dry run.\n');
}

const mode = (w: BrownoutWindowRecord): string => (w.dryRun ? 'dry run' : w.goneAfterSunset ? 'refuse (410 after sunset)' : 'refuse');

function describe(w: BrownoutWindowRecord): string {
  const scope = [w.surfaces.join(',') || 'every surface', w.tasks.join(',') || 'every task', w.resellers.join(',') || 'every reseller'];
  return `${w.startsAt.toISOString()} to ${w.endsAt.toISOString()}, ${scope.join(', ')}, ${mode(w)}`;
}
