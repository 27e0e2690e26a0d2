// Every legacy answer (success or error, any format) says the surface is deprecated and
// when it goes: Deprecation, Sunset and Link, from mappings/deprecation.json.
import type { Response } from 'express';
import { signalFor, signalHeaders, type DeprecationSignals, type LegacySurface } from '../rules/deprecation.js';

const SIGNAL_HEADERS = ['Deprecation', 'Sunset', 'Link'];

/**
 * Sets the signal of `surface` (and `task`, once known: called again, it replaces the
 * surface's). Set before anything is written, so an answer of any kind, a crash's included,
 * carries it.
 */
export function announceDeprecation(res: Response, signals: DeprecationSignals, surface: LegacySurface, task?: string): void {
  for (const name of SIGNAL_HEADERS) res.removeHeader(name);
  const signal = signalFor(signals, surface, task);
  if (signal) for (const [name, value] of signalHeaders(signal)) res.setHeader(name, value);
}
