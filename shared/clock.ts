// The wall clock with sub-millisecond precision, in ms since the epoch, as every process of a lab
// reads it (the agents in the nodes and the controller share the host's clock): one-way latency
// is one process's arrival time minus another's send time, and a fault's moment is compared with
// the nodes' own clocks (bash's EPOCHREALTIME).
//
// performance.timeOrigin + performance.now() alone is not that clock: the origin is taken once
// as the process starts and can be a millisecond or more off the system clock, and two
// processes' origins then disagree (seen: every latency of a lab's subscriber below zero). So the
// origin is fixed where Date.now() ticks over to its next millisecond: from then on,
// performance.now() (monotonic, sub-µs) counts from a moment known to the microsecond.

/** Spin at most this long (ms) for Date.now() to tick; it ticks every millisecond. */
const MAX_SPIN_MS = 5;

function calibrate(): number {
  const start = Date.now();
  const limit = performance.now() + MAX_SPIN_MS;
  let now = start;
  while ((now = Date.now()) === start && performance.now() < limit);
  const at = performance.now();
  // No tick seen (a clock of coarser steps): the runtime's own origin.
  return now === start ? performance.timeOrigin : now - at;
}

/** ms since the epoch at performance.now() = 0, as calibrated. */
export const CLOCK_ORIGIN = calibrate();

/** The wall clock, ms since the epoch, to the microsecond. */
export const wallNow = (): number => CLOCK_ORIGIN + performance.now();
