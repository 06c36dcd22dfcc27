// A stand-in for the Docker engine's HTTP API, for tests that need the engine to refuse: it
// answers like an empty engine, except for the calls a test makes fail (an HTTP error with the
// engine's JSON body, or a connection dropped mid-call).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Failure {
  method: string;
  /** Matched against the request's path (without the query). */
  path: RegExp;
  /** An HTTP error answer, with `{"message": ...}`; or "reset": the connection is dropped. */
  status?: number;
  message?: string;
  reset?: true;
}

export interface FakeEngine {
  /** For DOCKER_HOST. */
  url: string;
  host: string;
  port: number;
  /** Every request as `METHOD /path`. */
  requests: string[];
  fail(failure: Failure): void;
  close(): Promise<void>;
}

function answer(req: IncomingMessage, res: ServerResponse, path: string): void {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (path.endsWith("/_ping")) return void res.end("OK");
  if (path.endsWith("/version")) return json(200, { ApiVersion: "1.41", Version: "20.10.24" });
  if (req.method === "GET" && /\/(containers|networks|images)\/json$|\/networks$/.test(path)) return json(200, []);
  if (req.method === "POST" && path.endsWith("/networks/create")) return json(201, { Id: "n0" });
  if (req.method === "POST" && path.endsWith("/containers/create")) return json(201, { Id: "c0", Warnings: [] });
  if (req.method === "POST" && /\/exec$/.test(path)) return json(201, { Id: "e0" });
  // The base image is there (the lab lock's container runs it); a lab's own image is missing
  // unless a test says otherwise.
  if (req.method === "GET" && /\/images\/node:20-bookworm-slim\/json$/.test(path)) return json(200, { Id: "sha256:base", Config: {} });
  if (req.method === "GET" && /\/images\/.+\/json$/.test(path)) return json(404, { message: `No such image: ${decodeURIComponent(path.replace(/^\/images\/(.+)\/json$/, "$1"))}` });
  if (req.method === "POST" && /\/networks\/[^/]+\/connect$/.test(path)) return json(200, {});
  if (req.method === "GET" && /\/containers\/[^/]+\/json$/.test(path)) return json(200, { State: { Status: "running" }, Config: { Image: "x" } });
  // A short-lived container (the one reading the host's routes) ends at once, with no output.
  if (req.method === "POST" && /\/containers\/[^/]+\/wait$/.test(path)) return json(200, { StatusCode: 0 });
  if (req.method === "GET" && /\/containers\/[^/]+\/logs$/.test(path)) return void res.writeHead(200, { "Content-Type": "application/vnd.docker.raw-stream" }).end();
  res.writeHead(204);
  res.end();
}

export async function fakeEngine(): Promise<FakeEngine> {
  const failures: Failure[] = [];
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!.replace(/^\/v[\d.]+/, "");
    requests.push(`${req.method} ${path}`);
    // Read the body first, as the engine does.
    req.resume();
    req.on("end", () => {
      // The lab lock's own container, and the one reading the host's routes, are always granted:
      // tests make the lab's calls fail.
      const lock = /[?&]name=zmqlab-(lock|host-routes)\./.test(req.url ?? "");
      const failure = lock ? undefined : failures.find((f) => f.method === req.method && f.path.test(path));
      if (!failure) return answer(req, res, path);
      if (failure.reset) return void req.socket.destroy();
      res.writeHead(failure.status ?? 500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ message: failure.message ?? "" }));
    });
  });
  // Attaching to a container (the lab lock does) upgrades the connection to a raw stream: kept
  // open, as the engine keeps it while the container runs.
  const upgraded = new Set<import("node:net").Socket>();
  server.on("upgrade", (req: IncomingMessage, socket: import("node:net").Socket) => {
    requests.push(`${req.method} ${(req.url ?? "/").split("?")[0]!.replace(/^\/v[\d.]+/, "")}`);
    upgraded.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => upgraded.delete(socket));
    socket.write("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `tcp://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    requests,
    fail: (f) => void failures.push(f),
    close: () =>
      new Promise((resolve) => {
        for (const socket of upgraded) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
