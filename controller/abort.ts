// An AbortSignal as a promise, for racing work against a Ctrl-C (provision's up, the traffic
// session): one listener, removed by dispose() once the work has ended.

/** Resolves when `signal` aborts (never without one), with what removes its listener. */
export function whenAborted(signal: AbortSignal | undefined): { aborted: Promise<void>; dispose(): void } {
  if (!signal) return { aborted: new Promise(() => {}), dispose: () => {} };
  if (signal.aborted) return { aborted: Promise.resolve(), dispose: () => {} };
  let listener = () => {};
  const aborted = new Promise<void>((resolve) => {
    listener = () => resolve();
    signal.addEventListener("abort", listener, { once: true });
  });
  return { aborted, dispose: () => signal.removeEventListener("abort", listener) };
}
