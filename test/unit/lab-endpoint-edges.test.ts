// Endpoints as the lab file spells them, at their edges: the largest port, text around the host
// and port, a third part, a source that is no ADDRESS:PORT, and each message word for word.
import t from "tap";
import { formatHostPort, parseTcpEndpoint } from "../../shared/endpoint.js";

t.test("ports: 65535 is the largest, * is any", async (t) => {
  t.same(parseTcpEndpoint("tcp://198.18.2.10:65535"), { text: "tcp://198.18.2.10:65535", destination: { host: "198.18.2.10", port: "65535" } });
  t.type(parseTcpEndpoint("tcp://198.18.2.10:65536"), "string", "65536 is no port");
  t.same(parseTcpEndpoint("tcp://*:*"), { text: "tcp://*:*", destination: { host: "*", port: "*" } }, "a wildcard host and port");
  t.same(parseTcpEndpoint("tcp://198.18.1.11:*;198.18.2.10:5556"), {
    text: "tcp://198.18.1.11:*;198.18.2.10:5556",
    source: { host: "198.18.1.11", port: "*" },
    destination: { host: "198.18.2.10", port: "5556" },
  });
});

t.test("text around the host and port is not ignored", async (t) => {
  const form = "is not of the form tcp://ADDRESS:PORT (IPv6 in brackets: tcp://[2001:2::10]:5556)";
  t.equal(parseTcpEndpoint("tcp://[2001:2::1]x:5556"), form, "text between the bracket and the port");
  t.equal(parseTcpEndpoint("tcp://198.18.2.10:5556x"), form, "text after the port");
  t.equal(parseTcpEndpoint("tcp://198.18.2.10"), form, "no port");
});

t.test("a zone after an IPv6 address in brackets, as libzmq reports a link-local bind", async (t) => {
  const host = (text: string) => {
    const e = parseTcpEndpoint(text);
    return typeof e === "string" ? e : e.destination.host;
  };
  t.equal(host("tcp://[fe80::1%eth1]:5556"), "fe80::1%eth1");
  t.equal(host("tcp://[fe80::1%br-lan.10]:5556"), "fe80::1%br-lan.10", "letters, digits, dots and dashes");
  t.equal(host("tcp://[fe80::1]:5556"), "fe80::1", "or none");
  const form = "is not of the form tcp://ADDRESS:PORT (IPv6 in brackets: tcp://[2001:2::10]:5556)";
  for (const text of ["tcp://[fe80::1%]:5556", "tcp://[fe80::1%a:b]:5556", "tcp://[fe80::1%a%b]:5556", "tcp://[%eth1]:5556"]) t.equal(host(text), form, text);
});

t.test("each problem, word for word", async (t) => {
  t.equal(parseTcpEndpoint("udp://198.18.2.10:5556"), "only tcp:// endpoints are supported");
  t.equal(parseTcpEndpoint("tcp://198.18.1.11:0;198.18.1.12:0;198.18.2.10:5556"), "has more than one ';' (the form is tcp://SOURCE:PORT;DESTINATION:PORT)");
  t.equal(parseTcpEndpoint("tcp://198.18.1.11;198.18.2.10:5556"), "has a source that is not ADDRESS:PORT (use port 0 for an ephemeral one: tcp://198.18.1.11:0;198.18.2.10:5556)");
});

t.test("formatting host and port back", async (t) => {
  t.equal(formatHostPort({ host: "2001:2::10", port: "5556" }), "[2001:2::10]:5556", "IPv6 in brackets");
  t.equal(formatHostPort({ host: "198.18.2.10", port: "5556" }), "198.18.2.10:5556");
});
