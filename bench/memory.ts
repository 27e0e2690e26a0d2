// Peak memory of a process, as the kernel counts it.
import { readFileSync } from 'node:fs';

/** VmHWM (peak resident set size) of a live process, in bytes, from /proc (Linux). */
export function peakRssOf(pid: number): number {
  return statusField(pid, 'VmHWM');
}

/** VmRSS (resident set size now) of a live process, in bytes. */
export function rssOf(pid: number): number {
  return statusField(pid, 'VmRSS');
}

function statusField(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`${field} missing for process ${pid}`);
  return Number(match[1]) * 1024;
}
