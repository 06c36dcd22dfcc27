// The engine host's routes as /proc shows them (read by a container in the host's network
// namespace): IPv4 and IPv6 routes, in the order `cat` prints the two files.
import t from "tap";
import { parseHostRoutes, parseProcIpv6Route, parseProcRoute } from "../../controller/engine/host-routes.js";

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
