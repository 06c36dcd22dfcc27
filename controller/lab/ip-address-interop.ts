// ip-cidr (an ES module) reads ip-address (CommonJS, compiled by tsc: it sets `__esModule` and has
// no `default`) with a default import. Node gives a default import of CommonJS its
// `module.exports`; loaders that turn ES modules into CommonJS with Babel's rule (tsx's require
// hook in a "type": "commonjs" project, jest's transforms) give `exports.default` instead, which
// is undefined, and every ip-cidr call then fails with a TypeError. A `default` that is the
// exports themselves makes both rules read the same object. It must be in place before ip-cidr
// is evaluated: ip.ts imports this module first.
import { createRequire } from "node:module";

const fromZmqlab = createRequire(import.meta.url);
// The copy ip-cidr itself resolves (npm may nest another one under it).
const ipAddress: unknown = createRequire(fromZmqlab.resolve("ip-cidr"))("ip-address");

export function giveDefault(exports: unknown): void {
  if (exports === null || typeof exports !== "object" || !Object.isExtensible(exports)) return;
  if (Object.prototype.hasOwnProperty.call(exports, "default")) return;
  // Not enumerable: a spread or Object.keys of ip-address sees what it saw before.
  Object.defineProperty(exports, "default", { value: exports, enumerable: false, configurable: true, writable: false });
}

giveDefault(ipAddress);
