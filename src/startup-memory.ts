// The last step of start-up in `npm start` (src/main.ts) and in the benchmark's floors, which are
// measured with the same runtime settings.
/**
 * Start-up's memory back to the system before the first request (a deliberate sidecar setting, README
 * "Memory settings for a sidecar"): start-up grows V8's young generation to its largest (16 MiB) and
 * leaves garbage and start-up-only bytecode in the old one, which V8's memory reducer did not give back
 * in a minute of idleness (it judges the allocation rate from start-up's). One memory-reducing full
 * collection here, once, before any listener opens: about 0.1 s of start-up. Only when the process runs
 * with --expose-gc (`npm start`, the Dockerfile); otherwise nothing.
 */
export function releaseStartupMemory(): void {
  globalThis.gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
