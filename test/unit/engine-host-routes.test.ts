// The engine host's routes as /proc shows them (read by a container in the host's network
// namespace): IPv4 and IPv6 routes, in the order `cat` prints the two files.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { parseHostRoutes, parseProcIpv6Route, parseProcRoute, sameNamespaceRoutes } from "../../controller/engine/host-routes.js";
import { scratchDir } from "../support/scratch.js";

const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
br-1\t000112C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;
const IPV6_ROUTE = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001  docker0
ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000003 00000000 00000001     eth0
`;

t.test("/proc/net/route: little-endian destinations and masks", async (t) => {
  t.same(parseProcRoute(ROUTE), [
    { to: "0.0.0.0/0", dev: "eth0" },
    { to: "172.17.0.0/16", dev: "docker0" },
    { to: "198.18.1.0/24", dev: "br-1" },
  ]);
});

t.test("/proc/net/ipv6_route: link-local and multicast left out", async (t) => {
  t.same(parseProcIpv6Route(IPV6_ROUTE), [{ to: "fd00:0000:0000:0000:0000:0000:0000:0000/64", dev: "eth0" }]);
});

t.test("both files one after the other, or IPv4 alone on a host without IPv6", async (t) => {
  t.same(parseHostRoutes(ROUTE + IPV6_ROUTE), [...parseProcRoute(ROUTE), ...parseProcIpv6Route(IPV6_ROUTE)]);
  t.same(parseHostRoutes(ROUTE), parseProcRoute(ROUTE));
  t.same(parseHostRoutes(""), []);
});

/** A fake /proc and socket directory: dockerd as pid 42 in namespace `dockerdNs`, this process in `ownNs`. */
function fakeHost(t: Test, o: { dockerdNs: string; ownNs: string; comm?: string; pidFile?: string | null; ipv6?: boolean }): { socket: string; proc: string } {
  const root = scratchDir("zmqlab-proc-");
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const run = join(root, "run");
  const proc = join(root, "proc");
  mkdirSync(run);
  if (o.pidFile !== null) writeFileSync(join(run, "docker.pid"), o.pidFile ?? "42\n");
  mkdirSync(join(proc, "42", "ns"), { recursive: true });
  writeFileSync(join(proc, "42", "comm"), `${o.comm ?? "dockerd"}\n`);
  symlinkSync(o.dockerdNs, join(proc, "42", "ns", "net"));
  mkdirSync(join(proc, "self", "ns"), { recursive: true });
  mkdirSync(join(proc, "self", "net"));
  symlinkSync(o.ownNs, join(proc, "self", "ns", "net"));
  writeFileSync(join(proc, "self", "net", "route"), ROUTE);
  if (o.ipv6 !== false) writeFileSync(join(proc, "self", "net", "ipv6_route"), IPV6_ROUTE);
  return { socket: join(run, "docker.sock"), proc };
}

t.test("in dockerd's network namespace the routes are read here, without a container", async (t) => {
  const same = fakeHost(t, { dockerdNs: "net:[4026531833]", ownNs: "net:[4026531833]" });
  t.equal(sameNamespaceRoutes(same.socket, same.proc), ROUTE + IPV6_ROUTE);
  const noIpv6 = fakeHost(t, { dockerdNs: "net:[1]", ownNs: "net:[1]", ipv6: false });
  t.equal(sameNamespaceRoutes(noIpv6.socket, noIpv6.proc), ROUTE, "a host without IPv6: the IPv4 routes alone");
});

t.test("anything short of proof leaves it to the container", async (t) => {
  const other = fakeHost(t, { dockerdNs: "net:[4026531833]", ownNs: "net:[4026532999]" });
  t.equal(sameNamespaceRoutes(other.socket, other.proc), undefined, "another namespace (a controller in a container, a rootless engine)");
  const notDockerd = fakeHost(t, { dockerdNs: "net:[1]", ownNs: "net:[1]", comm: "sleep" });
  t.equal(sameNamespaceRoutes(notDockerd.socket, notDockerd.proc), undefined, "a stale pid file whose pid is now another program");
  const noPidFile = fakeHost(t, { dockerdNs: "net:[1]", ownNs: "net:[1]", pidFile: null });
  t.equal(sameNamespaceRoutes(noPidFile.socket, noPidFile.proc), undefined, "no pid file beside the socket");
  const garbage = fakeHost(t, { dockerdNs: "net:[1]", ownNs: "net:[1]", pidFile: "../42" });
  t.equal(sameNamespaceRoutes(garbage.socket, garbage.proc), undefined, "a pid file that is not a number");
  const gone = fakeHost(t, { dockerdNs: "net:[1]", ownNs: "net:[1]", pidFile: "43" });
  t.equal(sameNamespaceRoutes(gone.socket, gone.proc), undefined, "a pid no process has");
  t.equal(sameNamespaceRoutes(undefined, other.proc), undefined, "an engine over the network");
});
