// Progress of long steps: on a terminal one status line that updates in place with a spinner
// and the elapsed time; elsewhere (CI logs, pipes) plain lines, one per step.

export interface Progress {
  /** A new step: replaces the status line on a terminal, one line otherwise. */
  step(text: string): void;
  /** The current step says something new (a count that moved): in place on a terminal, one more line otherwise. */
  update(text: string): void;
  /** End the status line (before printing results). */
  stop(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

// Escape sequences a terminal acts on: CSI (colours, cursor moves, erase), OSC (titles, links;
// ended by BEL or ST), character set choices (tput's ESC ( B) and the two-character ones (ESC 7, ESC M).
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()*+][ -~]|\x1b[0-~]/g;

/**
 * Text for a log that is not a terminal: what a terminal would leave of it, without its escape
 * sequences (a build's colours) and, of text a carriage return overwrote (a progress bar redrawn
 * in place), only the last.
 */
export function plainText(text: string): string {
  // Line by line: a message of several lines (an error with a build's last lines) keeps them all.
  return text
    .replace(ESCAPES, "")
    .split("\n")
    .map(
      (line) =>
        line
          .split("\r")
          .filter((part) => part !== "")
          .pop() ?? "",
    )
    .join("\n");
}

export function progress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) {
    const line = (text: string) => void stream.write(plainText(text) + "\n");
    return { step: line, update: line, stop: () => {} };
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
    update(text) {
      if (!current) current = { text, started: performance.now() };
      current.text = text;
      render();
    },
    stop() {
      finish();
      clearInterval(timer);
    },
  };
}
