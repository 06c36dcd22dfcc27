// The capture in the terminal report: where its files went, or why they were not kept.
import type { CaptureReport } from "../capture/types.js";

export function captureText(capture: CaptureReport): string {
  if (capture.unavailable !== undefined) return `capture: nothing recorded (${capture.unavailable})`;
  const zmq = capture.connections.filter((c) => c.zmtp).length;
  const read = `${capture.connections.length} TCP connection${capture.connections.length === 1 ? "" : "s"} (${zmq} ZeroMQ) in the packets`;
  const problems = (capture.problems ?? []).map((p) => `\n  ${p}`).join("");
  if (!capture.kept) return `capture: ${read}; not kept (the run passed; --capture always keeps it)${problems}`;
  const files = capture.files.map((f) => `  ${f.path}  ${f.packets} packets${f.wrapped ? `, from ${f.firstMs} ms (the ring of ${capture.limitBytes / 1e6} MB wrapped)` : ""}`);
  const windows = capture.windows.map((w) => `  ${w.path}  ${w.packets} packets, ${w.fromMs} to ${w.toMs} ms`);
  return (
    [
      `capture: ${read}; kept (${capture.mode === "always" ? "--capture always" : "the run failed"}), with marks at the faults and failed expectations:`,
      ...files,
      ...(windows.length ? [`around each fault (${capture.windowMs / 1000} s either side):`, ...windows] : []),
    ].join("\n") + problems
  );
}
