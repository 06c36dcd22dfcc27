// Lines for a log that is not a terminal (CI): an image build's colours and redrawn progress bars
// must not reach it as escape codes and carriage returns; a terminal's status line is unchanged.
import t from "tap";
import { plainText, progress } from "../../controller/report/progress.js";

/** A fake terminal (or pipe) that keeps what is written. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = {
    isTTY,
    text: "",
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

t.test("escape sequences removed", async (t) => {
  t.equal(plainText("\x1b[1;31merror\x1b[0m: \x1b[32mok\x1b[m"), "error: ok", "colours (SGR), with and without parameters");
  t.equal(plainText("\x1b[2K\x1b[1Gdone"), "done", "erase line, cursor to column 1");
  t.equal(plainText("\x1b[?25lhidden cursor\x1b[?25h"), "hidden cursor", "private CSI parameters");
  t.equal(plainText("\x1b]0;window title\x07text"), "text", "OSC ended by BEL");
  t.equal(plainText("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"), "link", "OSC ended by ST (a hyperlink)");
  t.equal(plainText("\x1b(B\x1b[mreset by tput"), "reset by tput", "a character set choice");
  t.equal(plainText("\x1b7saved\x1b8"), "saved", "two-character escapes");
  t.equal(plainText("Step 3/9 : RUN apt-get install -y frr"), "Step 3/9 : RUN apt-get install -y frr", "plain text unchanged");
  t.equal(plainText("a [bracket] and ] and ESC-less (B"), "a [bracket] and ] and ESC-less (B", "brackets without ESC are text");
});

t.test("text overwritten after a carriage return: only the last", async (t) => {
  t.equal(plainText("  10%\r  55%\r 100% done"), " 100% done", "a progress bar redrawn in place");
  t.equal(plainText("Reading package lists...\r"), "Reading package lists...", "a trailing carriage return (CRLF) keeps the text");
  t.equal(plainText("\x1b[33m 40%\x1b[0m\r\x1b[32m100%\x1b[0m"), "100%", "coloured and redrawn");
  t.equal(plainText("\r"), "", "nothing but a carriage return");
  t.equal(plainText(""), "");
  t.equal(plainText("build failed\r\n    \x1b[31mE: no package\x1b[0m\r\n    10%\r    100%"), "build failed\n    E: no package\n    100%", "each line of a message on its own");
});

t.test("progress: plain lines elsewhere, the status line on a terminal as before", async (t) => {
  const log = stream(false);
  const p = progress(log);
  p.step("  \x1b[36mStep 1/2\x1b[0m : FROM zmqlab/node");
  p.step("  downloading  10%\r  downloading 100%");
  p.stop();
  t.equal(log.text, "  Step 1/2 : FROM zmqlab/node\n  downloading 100%\n", "no escape codes or carriage returns in a CI log");
  const tty = stream(true);
  const q = progress(tty);
  q.step("\x1b[36mcoloured\x1b[0m");
  q.stop();
  t.match(tty.text, "\x1b[36mcoloured\x1b[0m", "a terminal shows the colours");
});
