// The IP libraries under every loader: ip-cidr's default import of ip-address works with Babel's
// interop rule too (tsx's require hook), and a library that breaks (a TypeError) is our bug,
// thrown as it is, never a user's "is not a valid subnet".
import t from "tap";
import { createRequire } from "node:module";
import IPCIDR from "ip-cidr";
import { Address6, AddressError } from "ip-address";
import { parseAddress, parseSubnet } from "../../controller/lab/ip.js";
import { giveDefault } from "../../controller/lab/ip-address-interop.js";

const fromHere = createRequire(import.meta.url);
type IpAddressExports = { __esModule?: boolean; default?: { Address4?: unknown }; Address4?: unknown };

t.test("ip-address, as ip-cidr resolves it, reads the same under Node's rule and Babel's", async (t) => {
  const exports = createRequire(fromHere.resolve("ip-cidr"))("ip-address") as IpAddressExports;
  t.equal(exports.__esModule, true, "ip-address says it was compiled from an ES module (the cause)");
  // What tsx's require hook (esbuild's __toESM, Babel's interopRequireDefault) gives a default import.
  const babelDefault = exports.__esModule ? exports.default : exports;
  t.equal(babelDefault, exports, "a default import under Babel's rule is module.exports, as under Node's");
  t.equal(typeof babelDefault?.Address4, "function");
  t.notOk(Object.keys(exports).includes("default"), "not enumerable: Object.keys of ip-address is as before");
});

t.test("giveDefault leaves alone what it must not touch", async (t) => {
  const own = { __esModule: true, default: 1 };
  giveDefault(own);
  t.equal(own.default, 1, "a module with its own default keeps it");
  const frozen = Object.freeze({ __esModule: true });
  t.doesNotThrow(() => giveDefault(frozen), "a frozen object (an ES module namespace) is left as it is");
  t.notOk("default" in frozen);
  for (const value of [undefined, null, "ip-address", 42]) t.doesNotThrow(() => giveDefault(value), String(value));
  const plain: Record<string, unknown> = { Address4: 1 };
  giveDefault(plain);
  t.equal(plain["default"], plain);
});

/** Replace a method for one test; put it back at its end. */
function replace<T extends object, K extends keyof T>(t: Tap, target: T, key: K, value: T[K]): void {
  const original = target[key];
  target[key] = value;
  t.teardown(() => {
    target[key] = original;
  });
}
type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

t.test("a TypeError from the IP library is thrown, not taken for an invalid subnet", async (t) => {
  const broken = () => {
    throw new TypeError("Cannot read properties of undefined (reading 'Address4')");
  };
  replace(t, IPCIDR, "createAddress", broken);
  t.throws(() => parseSubnet("198.18.200.0/24"), new TypeError("Cannot read properties of undefined (reading 'Address4')"), "parseSubnet");
  t.throws(() => parseAddress("198.18.200.10"), TypeError, "parseAddress (IPv4)");
});

t.test("a TypeError from ip-address's IPv6 parser is thrown too", async (t) => {
  replace(t, Address6.prototype, "parse", () => {
    throw new TypeError("broken");
  });
  t.throws(() => parseAddress("2001:2::10"), TypeError, "parseAddress (IPv6)");
  t.throws(() => parseSubnet("2001:2::/64"), TypeError, "parseSubnet (IPv6)");
});

t.test("the libraries' verdicts on the text are verdicts", async (t) => {
  t.test("ip-cidr's own plain Error", async (t) => {
    replace(t, IPCIDR, "createAddress", () => {
      throw new Error("Invalid IPv4 address.");
    });
    t.equal(parseSubnet("198.18.200.0/24"), "is not a valid subnet");
    t.equal(parseAddress("198.18.200.10"), undefined);
  });
  t.test("ip-address's AddressError", async (t) => {
    replace(t, IPCIDR, "createAddress", () => {
      throw new AddressError("Invalid IPv4 address.");
    });
    t.equal(parseSubnet("198.18.200.0/24"), "is not a valid subnet");
    t.equal(parseAddress("198.18.200.10"), undefined);
  });
  t.test("an Error of another class is not one", async (t) => {
    replace(t, IPCIDR, "createAddress", () => {
      throw new RangeError("Maximum call stack size exceeded");
    });
    t.throws(() => parseSubnet("198.18.200.0/24"), RangeError);
  });
  t.test("and the real libraries' refusals stay refusals", async (t) => {
    t.equal(parseSubnet("01.2.3.0/24"), "is not a valid subnet", "ip-cidr: a leading zero");
    t.equal(parseSubnet("198.18.300.0/24"), "is not a valid subnet", "ip-address: out of range");
    t.equal(parseSubnet("1::2::/64"), "is not a valid subnet", "IPv6");
    t.equal(parseAddress("1::2::3"), undefined);
  });
});
