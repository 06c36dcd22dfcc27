// The pure parts of program endpoints: which binds a program declares, when it counts as ready.
import t from "tap";
import { declaredBinds, listensOn, readinessOf } from "../../controller/traffic/programs.js";

t.test("declared binds as the kernel's tables show local ends", async (t) => {
  t.same(
    declaredBinds({ node: "n", command: ["x"], bind: ["tcp://198.18.1.10:5556", "tcp://*:5557", "tcp://clients:5558", "tcp://[2001:2::10]:5559"] }),
    [
      { address: "198.18.1.10", port: 5556 },
      { address: null, port: 5557 },
      { address: null, port: 5558 },
      { address: "2001:2::10", port: 5559 },
    ],
    "an address, everything, an interface name (any address), IPv6",
  );
  t.same(declaredBinds({ node: "n", command: ["x"], connect: "tcp://198.18.1.10:5556" }), [], "connects are not binds");
});

t.test("readiness: listen by default for a program that binds", async (t) => {
  t.equal(readinessOf({ node: "n", command: ["x"], bind: "tcp://198.18.1.10:5556" }), "listen");
  t.equal(readinessOf({ node: "n", command: ["x"], connect: "tcp://198.18.1.10:5556" }), undefined, "nothing to wait for");
  t.same(readinessOf({ node: "n", command: ["x"], bind: "tcp://198.18.1.10:5556", ready: { output: "^up" } }), { output: "^up" }, "its own ready wins");
});

t.test("listening: every declared bind has a listening socket", async (t) => {
  const listen = (address: string, port: number) => ({ local: { address, port }, state: "0A" });
  const binds = [
    { address: "198.18.1.10", port: 5556 },
    { address: null, port: 5557 },
  ];
  t.equal(listensOn([listen("198.18.1.10", 5556), listen("198.18.1.20", 5557)], binds), true);
  t.equal(listensOn([listen("0.0.0.0", 5556), listen("::", 5557)], binds), true, "a wildcard listener serves a bound address");
  t.equal(listensOn([listen("198.18.1.10", 5556)], binds), false, "one bind not yet listening");
  t.equal(listensOn([listen("198.18.1.11", 5556), listen("0.0.0.0", 5557)], binds), false, "another address does not count");
  t.equal(listensOn([{ local: { address: "198.18.1.10", port: 5556 }, state: "01" }, listen("0.0.0.0", 5557)], binds), false, "an established connection is no listener");
  t.equal(listensOn([], []), true, "nothing declared, nothing to wait for");
});
