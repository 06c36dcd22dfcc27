// The regular files of a tar stream (what the engine's archive endpoint sends, `docker cp`),
// written into a folder as they come: a capture's ring files are copied without holding them in
// memory. ustar and GNU headers; long-name and pax records are skipped with their data.
import { closeSync, openSync, writeSync } from "node:fs";
import { basename, join } from "node:path";

/** Extract every regular file of the stream into `dir`, by its base name; resolves with their paths. */
export function extractFiles(stream: NodeJS.ReadableStream, dir: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const written: string[] = [];
    let pending: Buffer = Buffer.alloc(0);
    /** The file being written and how many bytes of it (and its padding) are still to come. */
    let file: { fd: number; left: number; padding: number } | undefined;
    let skip = 0;
    let done = false;
    const fail = (err: unknown) => {
      if (file && file.fd >= 0) closeSync(file.fd);
      file = undefined;
      done = true;
      reject(err);
    };
    stream.on("data", (chunk: Buffer) => {
      if (done) return;
      try {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        for (;;) {
          if (skip > 0) {
            const n = Math.min(skip, pending.length);
            pending = pending.subarray(n);
            skip -= n;
            if (skip > 0) return;
          }
          if (file) {
            const n = Math.min(file.left, pending.length);
            if (n > 0 && file.fd >= 0) writeSync(file.fd, pending, 0, n);
            pending = pending.subarray(n);
            file.left -= n;
            if (file.left > 0) return;
            if (file.fd >= 0) closeSync(file.fd);
            skip = file.padding;
            file = undefined;
            continue;
          }
          if (pending.length < 512) return;
          const header = pending.subarray(0, 512);
          pending = pending.subarray(512);
          if (header.every((b) => b === 0)) continue;
          const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
          const size = parseInt(header.subarray(124, 136).toString("ascii").replace(/\0.*$/s, "").trim() || "0", 8);
          const type = String.fromCharCode(header[156]!);
          const padding = (512 - (size % 512)) % 512;
          if (type === "0" || type === "\0") {
            const path = join(dir, basename(name));
            written.push(path);
            file = { fd: openSync(path, "w"), left: size, padding };
            if (size === 0) {
              closeSync(file.fd);
              file = undefined;
              skip = padding;
            }
          } else skip = size + padding;
        }
      } catch (err) {
        fail(err);
      }
    });
    stream.on("end", () => {
      if (done) return;
      done = true;
      if (file && file.fd >= 0) closeSync(file.fd);
      resolve(written);
    });
    stream.on("error", fail);
  });
}
