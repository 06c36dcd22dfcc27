// What recording the networks costs (issue 24): the flagship's whole run (up, traffic,
// expectations, down) and the 100-node lab's, with the capture off and on, in alternating rounds.
// "Up" is the run until its traffic starts (the recorders start as the networks come up, beside
// the nodes); "cycle" the whole run. On: the default mode (failed: recorded and read back, files
// not written on a passing run), tcpdump on the engine's host where zmqlab can and in a capture
// container (forced), and `always` (every file written). The target: each within 1.15x of off.
import { runLab, type LoadedLab } from "../controller/index.js";
import type { CaptureMode } from "../controller/capture/types.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TARGET_CAPTURE = 1.15;

export interface CaptureVariant {
  name: string;
  mode: CaptureMode;
  /** Force the capture container (as a controller in a container records). */
  container?: boolean;
}

export const VARIANTS: CaptureVariant[] = [
  { name: "off", mode: "off" },
  { name: "failed (default)", mode: "failed" },
  { name: "failed, capture container", mode: "failed", container: true },
  { name: "always (files written)", mode: "always" },
];

export interface CaptureCost {
  lab: string;
  rounds: number;
  /** Per variant: median ms to the traffic's start, and of the whole run; the recorder's place. */
  variants: { name: string; upMs: number; cycleMs: number; upRatio: number; cycleRatio: number; from?: string; files: number; samples: { upMs: number; cycleMs: number }[] }[];
  met: boolean;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

/** One run of the lab: ms until its traffic began (its up, and the capture's start), ms in all. */
async function once(loaded: LoadedLab, variant: CaptureVariant, dir: string): Promise<{ upMs: number; cycleMs: number; from?: string; files: number }> {
  const started = performance.now();
  let upMs: number | undefined;
  const log = (line: string) => {
    if (upMs === undefined && /^traffic:|^no traffic|senders released/.test(line)) upMs = performance.now() - started;
  };
  if (variant.container) process.env.ZMQLAB_CAPTURE_FROM = "container";
  try {
    const report = await runLab(loaded, { log, capture: { mode: variant.mode, dir } });
    const cycleMs = performance.now() - started;
    return { upMs: upMs ?? cycleMs, cycleMs, ...(report.capture?.from ? { from: report.capture.from } : {}), files: report.capture?.files.length ?? 0 };
  } finally {
    delete process.env.ZMQLAB_CAPTURE_FROM;
  }
}

/** Each variant in turn, `rounds` times (alternating, so a slower engine later weighs on all alike). */
export async function benchCapture(loaded: LoadedLab, rounds: number, log: (line: string) => void, variants = VARIANTS): Promise<CaptureCost> {
  const dir = mkdtempSync(join(tmpdir(), "zmqlab-bench-capture-"));
  log(`\n${loaded.lab.name}: the whole run with the capture off and on (${variants.map((v) => v.name).join("; ")}), ${rounds} rounds`);
  const samples = variants.map(() => [] as { upMs: number; cycleMs: number; from?: string; files: number }[]);
  try {
    // Warm-up (images, the first capture container): untimed.
    await once(loaded, variants.find((v) => v.container) ?? variants[0]!, dir);
    for (let r = 0; r < rounds; r++) {
      for (const [i, v] of variants.entries()) {
        const s = await once(loaded, v, dir);
        samples[i]!.push(s);
        log(`  round ${r + 1} ${v.name}: up ${s.upMs.toFixed(0)} ms, run ${s.cycleMs.toFixed(0)} ms${s.from ? ` (${s.from}, ${s.files} files)` : ""}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const off = samples[0]!;
  const [offUp, offCycle] = [median(off.map((s) => s.upMs)), median(off.map((s) => s.cycleMs))];
  const result = variants.map((v, i) => {
    const s = samples[i]!;
    const [upMs, cycleMs] = [median(s.map((x) => x.upMs)), median(s.map((x) => x.cycleMs))];
    return {
      name: v.name,
      upMs: round1(upMs),
      cycleMs: round1(cycleMs),
      upRatio: Math.round((upMs / offUp) * 100) / 100,
      cycleRatio: Math.round((cycleMs / offCycle) * 100) / 100,
      ...(s[0]?.from ? { from: s[0].from } : {}),
      files: s[0]?.files ?? 0,
      samples: s.map((x) => ({ upMs: round1(x.upMs), cycleMs: round1(x.cycleMs) })),
    };
  });
  return { lab: loaded.lab.name, rounds, variants: result, met: result.every((v) => v.upRatio <= TARGET_CAPTURE && v.cycleRatio <= TARGET_CAPTURE) };
}

export function captureCostText(costs: CaptureCost[]): string {
  const out: string[] = [];
  for (const c of costs) {
    out.push(`\ncapture cost on ${c.lab}: median of ${c.rounds} rounds, against the capture off (target <=${TARGET_CAPTURE}x)`);
    out.push(`  ${"".padEnd(28)} ${"up".padStart(9)} ${"ratio".padStart(6)} ${"run".padStart(9)} ${"ratio".padStart(6)}  where`);
    for (const v of c.variants)
      out.push(
        `  ${v.name.padEnd(28)} ${`${v.upMs.toFixed(0)} ms`.padStart(9)} ${`${v.upRatio.toFixed(2)}x`.padStart(6)} ${`${v.cycleMs.toFixed(0)} ms`.padStart(9)} ${`${v.cycleRatio.toFixed(2)}x`.padStart(6)}  ${v.from ?? "-"}`,
      );
    out.push(`  ${c.met ? "met" : "NOT met"}`);
  }
  return out.join("\n");
}
