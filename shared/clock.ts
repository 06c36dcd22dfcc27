// The wall clock with sub-millisecond precision, in ms since the epoch, as every process of a lab
// reads it (the agents in the nodes and the controller share the host's clock): one-way latency
// is one process's arrival time minus another's send time, and a fault's moment is compared with
// the nodes' own clocks (bash's EPOCHREALTIME).
//
// performance.timeOrigin + performance.now() alone is not that clock: the origin is taken once
// as the process starts and can be a millisecond or more off the system clock, and two
// processes' origins then disagree (seen: every latency of a lab's subscriber below zero). So the
// origin is fixed where Date.now() ticks over to its next millisecond: from then on,
// performance.now() (monotonic, sub-µs) counts from a moment known to the microsecond. One tick
// read by a process preempted mid-read is off by the preemption (seen: 8 ms on a busy 2-core
// machine, a packet captured "after" the message it carried), so the narrowest of a few is kept.

/** Spin at most this long (ms) for Date.now() to tick; it ticks every millisecond. */
const MAX_SPIN_MS = 5;
/** Ticks watched: the narrowest bracket wins (a process preempted during one tick is off by its slice). */
const TICKS = 4;

/** One tick of Date.now(): where it fell on performance.now()'s scale, and how wide the bracket around it was. */
function tick(): { origin: number; width: number } | undefined {
  let before = performance.now();
  const start = Date.now();
  const limit = before + MAX_SPIN_MS;
  let now = start;
  for (;;) {
    const at = performance.now();
    now = Date.now();
    if (now !== start) {
      // The tick fell between the last read that still said `start` (after `before`) and this one (before `after`).
      const after = performance.now();
      return { origin: now - (before + after) / 2, width: after - before };
    }
    if (at >= limit) return undefined;
    before = at;
  }
}

function calibrate(): { origin: number; width: number } {
  let best: { origin: number; width: number } | undefined;
  for (let i = 0; i < TICKS; i++) {
    const t = tick();
    if (t && (!best || t.width < best.width)) best = t;
  }
  // No tick seen (a clock of coarser steps): the runtime's own origin, known to no better than a step.
  return best ?? { origin: performance.timeOrigin, width: MAX_SPIN_MS };
}

const calibrated = calibrate();
/** ms since the epoch at performance.now() = 0, as calibrated. */
export const CLOCK_ORIGIN = calibrated.origin;
/** How wide the calibration's bracket was (ms): CLOCK_ORIGIN is within half of it of the system clock's tick. */
export const CLOCK_BRACKET_MS = calibrated.width;

/** The wall clock, ms since the epoch, to the microsecond. */
export const wallNow = (): number => CLOCK_ORIGIN + performance.now();
