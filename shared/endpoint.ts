// ZeroMQ tcp endpoints, including libzmq's source form `tcp://SRC:PORT;DST:PORT`: as the lab file
// spells them (validation, traffic jobs, the judges) and as libzmq reports them back to the agent
// (a bind's last endpoint, a connect's events). One parser for all of them; no sockets here.

export interface HostPort {
  /** Address (IPv6 without brackets, with its zone if libzmq gave one), interface name, or `*`. */
  host: string;
  /** Port number, or `*`/`0` for an ephemeral one. */
  port: string;
}

export interface TcpEndpoint {
  text: string;
  source?: HostPort;
  destination: HostPort;
}

// IPv6 in brackets, with a zone where libzmq reports a link-local address (`[fe80::1%eth1]`).
const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+(?:%[\w.-]+)?)\]|([^:[\]]+)):(\*|\d{1,5})$/;

function parseHostPort(text: string): HostPort | undefined {
  const m = HOST_PORT.exec(text);
  if (!m) return undefined;
  const port = m[3]!;
  if (Number(port) > 65535) return undefined; // `*` is NaN here: never too large
  return { host: (m[1] ?? m[2])!, port };
}

/** The endpoint, or a sentence saying what is wrong with it. */
export function parseTcpEndpoint(text: string): TcpEndpoint | string {
  if (!text.startsWith("tcp://")) return "only tcp:// endpoints are supported";
  const rest = text.slice("tcp://".length);
  const parts = rest.split(";");
  if (parts.length > 2) return "has more than one ';' (the form is tcp://SOURCE:PORT;DESTINATION:PORT)";
  const destination = parseHostPort(parts[parts.length - 1]!);
  if (!destination) return "is not of the form tcp://ADDRESS:PORT (IPv6 in brackets: tcp://[2001:2::10]:5556)";
  if (parts.length === 1) return { text, destination };
  const source = parseHostPort(parts[0]!);
  if (!source) return "has a source that is not ADDRESS:PORT (use port 0 for an ephemeral one: tcp://198.18.1.11:0;198.18.2.10:5556)";
  return { text, source, destination };
}

/** Format host and port back into endpoint syntax (brackets around IPv6). */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
