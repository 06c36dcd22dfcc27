// Progress of long steps: on a terminal one status line that updates in place with a spinner
// and the elapsed time; elsewhere (CI logs, pipes) plain lines, one per step.

export interface Progress {
  /** A new step: replaces the status line on a terminal, one line otherwise. */
  step(text: string): void;
  /** End the status line (before printing results). */
  stop(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function progress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) {
    return { step: (text) => void stream.write(text + "\n"), stop: () => {} };
  }
  let current: { text: string; started: number } | undefined;
  let frame = 0;
  const render = () => {
    if (!current) return;
    const seconds = ((performance.now() - current.started) / 1000).toFixed(1);
    stream.write(`\r\x1b[K${FRAMES[frame++ % FRAMES.length]} ${current.text} (${seconds} s)`);
  };
  const timer = setInterval(render, 100);
  timer.unref();
  const finish = () => {
    if (!current) return;
    const seconds = ((performance.now() - current.started) / 1000).toFixed(1);
    stream.write(`\r\x1b[K✓ ${current.text} (${seconds} s)\n`);
    current = undefined;
  };
  return {
    step(text) {
      finish();
      current = { text, started: performance.now() };
      render();
    },
    stop() {
      finish();
      clearInterval(timer);
    },
  };
}
