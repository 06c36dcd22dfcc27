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

/** A tar stream of one regular file (ustar), for the engine's archive endpoint: `name` relative to where it is put. */
export function oneFileTar(name: string, content: string): Buffer {
  const data = Buffer.from(content, "utf8");
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, text: string) => header.write(text, offset, length, "ascii");
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0");
  header.write(name, 0, 100, "utf8");
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(data.length, 12));
  field(136, 12, octal(Math.floor(Date.now() / 1000), 12));
  field(156, 1, "0");
  field(257, 6, "ustar");
  field(263, 2, "00");
  // The checksum: every byte of the header, its own field counted as spaces.
  field(148, 8, "        ");
  const sum = header.reduce((s, b) => s + b, 0);
  field(148, 8, `${octal(sum, 7)}\0 `);
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding, Buffer.alloc(1024)]);
}
