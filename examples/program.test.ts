// An example of driving your own program through the API, around a window of your own: zero the
// routers' counters, start the program in a node, wait for it, and check what the kernels saw.
// It ships with zmqlab (node_modules/zmqlab/examples/); copy it into your tests folder.
import t from "tap";
import { fileURLToPath } from "node:url";
import { up } from "zmqlab";

// A lab that ships with zmqlab; for your own: const LAB = "labs/my-lab" (a folder or a lab.yaml).
const LAB = fileURLToPath(import.meta.resolve("zmqlab/labs/source-ip/lab.yaml"));

t.test("my program connects from the client's second address and crosses r2", async (t) => {
  // Both go at the block's end, the server first, then the lab.
  await using lab = await up(LAB);

  // A server to talk to: any program of the node's image (here Node.js, as in zmqlab's image).
  await using server = await lab.node("server").spawn(["node", "-e", "require('net').createServer((s) => s.end('pong\\n')).listen(7000, '198.18.2.10', () => console.log('ready'))"]);
  await new Promise<void>((resolve) => server.onLine((line) => line === "ready" && resolve()));

  // The window: counters zeroed, then the program, then the counters read.
  await lab.resetFlows();
  const client = await lab
    .node("client")
    .spawn(["node", "-e", "const s = require('net').connect({ host: '198.18.2.10', port: 7000, localAddress: process.env.SOURCE }); s.pipe(process.stdout);"], { env: { SOURCE: "198.18.1.11" } });
  const done = await client.wait();
  const flows = await lab.flows();

  t.equal(done.exitCode, 0, "the program exited 0");
  t.same(done.output, ["pong"], "and printed the server's answer");
  const crossed = (router: string) => (flows[router] ?? []).filter((f) => f.from === "198.18.1.11" && f.to === "198.18.2.10").reduce((n, f) => n + f.packets, 0);
  t.ok(crossed("r2") > 0, `r2 forwarded the program's packets (${crossed("r2")})`);
  t.equal(crossed("r1"), 0, "r1 forwarded none of them: the policy route by source held");
});
