// Reading valgrind's callgrind for bench/pass-instructions.ts: instructions are counted, not
// timed, so two runs of the same code agree whatever else the machine is doing.

/** The total callgrind prints when the process ends ("Collected : N"). */
export function collectedInstructions(callgrindOutput: string): number {
  const match = /^(?:==\d+== )?Collected : (\d+)$/m.exec(callgrindOutput);
  if (!match) throw new Error('callgrind printed no instruction count');
  return Number(match[1]);
}

/** Instructions per change: the larger run's surplus over the smaller one's, per extra change. */
export function perChange(small: { changes: number; instructions: number }, large: { changes: number; instructions: number }): number {
  if (large.changes <= small.changes) throw new RangeError('the larger run needs more changes than the smaller');
  return (large.instructions - small.instructions) / (large.changes - small.changes);
}
