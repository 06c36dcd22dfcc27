// One-way latency from an endpoint's timeline: each sample holds, per sender, the histogram of
// the messages that arrived since the sample before (see shared/latency.ts). Any stretch of
// samples merges into that stretch's exact histogram: the whole run's, a phase's, one tick's. Pure.
import { decodeLatency, latencyHistogram, type Histogram } from "../../shared/latency.js";
import type { Latency, LatencyFigures, LatencyPoint, TimelineSample } from "./types.js";

/** Decoded once per sample: every phase of every expectation reads the same samples again. */
const decoded = new WeakMap<Record<string, string>, Map<string, Histogram>>();

function histogramsOf(sample: TimelineSample): Map<string, Histogram> {
  const encoded = sample.latency;
  if (!encoded) return new Map();
  let histograms = decoded.get(encoded);
  if (!histograms) {
    histograms = new Map(Object.entries(encoded).map(([sender, text]) => [sender, decodeLatency(text)]));
    decoded.set(encoded, histograms);
  }
  return histograms;
}

/** ms, to the µs, from the histogram's µs. */
const ms = (us: number) => Math.round(us) / 1000;

/**
 * count, p50, p99, max. A percentile is the top of its value's bucket, which can lie above the
 * largest value recorded: it is never reported above the max.
 */
export function figures(h: Histogram): LatencyFigures {
  const max = h.maxValue;
  const at = (p: number) => ms(Math.min(h.getValueAtPercentile(p), max));
  return { count: h.totalCount, p50: at(50), p99: at(99), max: ms(max) };
}

/** The latency of the messages in these samples, all senders and per sender; undefined when none carried a send time. */
export function latencyOf(samples: TimelineSample[]): Latency | undefined {
  const all = latencyHistogram();
  const per = new Map<string, Histogram>();
  for (const s of samples) {
    for (const [sender, h] of histogramsOf(s)) {
      all.add(h);
      let mine = per.get(sender);
      if (!mine) {
        mine = latencyHistogram();
        per.set(sender, mine);
      }
      mine.add(h);
    }
  }
  if (all.totalCount === 0) return undefined;
  return { ...figures(all), from: Object.fromEntries([...per].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sender, h]) => [sender, figures(h)])) };
}

/** Per sample with messages that carried their send time: that interval's latency, all senders. */
export function latencyPoints(samples: TimelineSample[]): LatencyPoint[] {
  return samples.flatMap((s) => {
    const histograms = [...histogramsOf(s).values()];
    if (histograms.length === 0) return [];
    const all = latencyHistogram();
    for (const h of histograms) all.add(h);
    return all.totalCount > 0 ? [{ ms: s.ms, ...figures(all) }] : [];
  });
}
