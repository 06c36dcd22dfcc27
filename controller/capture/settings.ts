// How a run records its networks: the lab file's settings (capture, captureLimit, captureWindow)
// and the command line's (--capture, --capture-window, --capture-dir) made into one choice. Pure.
import { join } from "node:path";
import { parseDuration } from "../../shared/duration.js";
import type { LabSettings } from "../lab/types.js";
import type { Ring } from "../engine/capture.js";
import type { CaptureMode } from "./types.js";

export const DEFAULT_CAPTURE_MODE: CaptureMode = "failed";
/** Per network: a ring of 64 MB holds a flagship run many times over and bounds a long one. */
export const DEFAULT_CAPTURE_LIMIT = 64_000_000;
export const DEFAULT_CAPTURE_WINDOW_MS = 2000;
/** tcpdump's ring files are whole millions of bytes: two of them at least. */
export const MIN_CAPTURE_LIMIT = 2_000_000;
export const MAX_CAPTURE_LIMIT = 100_000_000_000;
/** Where the files go when no report file says: beside where zmqlab ran. */
export const DEFAULT_CAPTURE_DIR = ".zmqlab/capture";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** Bytes, from `64MB`, `1GB`, `500kB`, `512MiB` or a number of bytes; undefined when it is no size. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isInteger(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const factor = UNITS[m[2]!.toLowerCase()];
  return factor === undefined ? undefined : Math.round(Number(m[1]) * factor);
}

/** What the caller asks for (the API's options, the command line's). */
export interface CaptureOptions {
  /** failed (keep the files when the run fails; the default), always, or off. */
  mode?: CaptureMode;
  /** The ring's bound per network, in bytes (default: settings.captureLimit, else 64 MB). */
  limit?: number;
  /** Each fault's window reaches this far on either side, ms (default: settings.captureWindow, else 2 s). */
  window?: number;
  /** The folder the lab's capture folder goes in (default `.zmqlab/capture`). */
  dir?: string;
}

export interface CaptureSettings {
  mode: CaptureMode;
  limitBytes: number;
  windowMs: number;
  /** The folder this lab's files go to: DIR/LAB (LAB is the lab's key: `name.instance` for an instance). */
  dir: string;
  ring: Ring;
}

/** The options over the lab file's settings over the defaults. */
export function captureSettings(settings: LabSettings | undefined, options: CaptureOptions, labKey: string): CaptureSettings {
  const limitBytes = options.limit ?? (settings?.captureLimit !== undefined ? parseSize(settings.captureLimit) : undefined) ?? DEFAULT_CAPTURE_LIMIT;
  const windowMs = options.window ?? (settings?.captureWindow !== undefined ? parseDuration(settings.captureWindow) : undefined) ?? DEFAULT_CAPTURE_WINDOW_MS;
  return {
    mode: options.mode ?? settings?.capture ?? DEFAULT_CAPTURE_MODE,
    limitBytes,
    windowMs,
    dir: join(options.dir ?? DEFAULT_CAPTURE_DIR, labKey),
    ring: ringFor(limitBytes),
  };
}

/** A ring within the limit: four files (fewer when the limit is small), each whole millions of bytes. */
export function ringFor(limitBytes: number): Ring {
  const megabytes = Math.max(2, Math.floor(limitBytes / 1e6));
  const files = Math.min(4, megabytes);
  return { files, fileMegabytes: Math.floor(megabytes / files) };
}
