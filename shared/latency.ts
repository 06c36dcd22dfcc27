// One-way latency histograms, as the agent records them and the controller merges them: HDR
// histograms (hdr-histogram-js) of microseconds, sent as hdr-histogram-js's compressed base64
// encoding (the HdrHistogram "V2 compressed" format, readable by every HdrHistogram library).
// HDR histograms add exactly, so the histograms of any run of ticks merge into the histogram
// of that stretch of time: a phase's percentiles are as exact as the whole run's.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from "hdr-histogram-js";

/** Three significant digits: a value is recorded to within 0.1% (1 µs below 1 ms, 1 ms below 1 s). */
const DIGITS = 3;
const BUCKETS = 32;

/** An empty latency histogram of microseconds (values of any size: it grows as needed). */
export function latencyHistogram(): Histogram {
  return build({ bitBucketSize: BUCKETS, numberOfSignificantValueDigits: DIGITS, autoResize: true, useWebAssembly: false });
}

export function encodeLatency(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/** The histogram an agent sent; throws on anything that is not one. */
export function decodeLatency(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, BUCKETS, false);
}

export type { Histogram };
