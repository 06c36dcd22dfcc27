// zmqlab's version, from the package.json it was installed with (two folders up from dist/controller).
import { readFileSync } from "node:fs";

export const VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
