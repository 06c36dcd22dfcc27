// One-way latency per sender, as a receiver measures it: arrival time minus the send time in the
// message's header (lab containers share the host's clock). Each tick hands over the histograms
// of the messages that arrived since the previous tick, and starts them afresh.
import { encodeLatency, latencyHistogram, type Histogram } from "../shared/latency.js";

interface Sender {
  histogram: Histogram;
  /** Messages arrived since the last take(). */
  fresh: boolean;
}

export class Latencies {
  private readonly senders = new Map<string, Sender>();
  private any = false;

  /** A message from `sender`, sent at `sentAt` and received at `now` (ms since the epoch). */
  record(sender: string, sentAt: number, now: number): void {
    let s = this.senders.get(sender);
    if (s === undefined) {
      s = { histogram: latencyHistogram(), fresh: false };
      this.senders.set(sender, s);
    }
    // In µs. Two processes' clocks can disagree by a few µs: a message never arrives before it left.
    const us = Math.round((now - sentAt) * 1000);
    s.histogram.recordValue(us > 0 ? us : 0);
    s.fresh = true;
    this.any = true;
  }

  /** Each sender's histogram since the last take(), encoded; undefined when nothing arrived. */
  take(): Record<string, string> | undefined {
    if (!this.any) return undefined;
    this.any = false;
    const taken: Record<string, string> = {};
    for (const [name, s] of this.senders) {
      if (!s.fresh) continue;
      taken[name] = encodeLatency(s.histogram);
      s.histogram.reset();
      s.fresh = false;
    }
    return taken;
  }
}
