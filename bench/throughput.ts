// Messages per second from a PUB through a router to a SUB, beside the same two endpoints on one
// node, measured in the same run on the same lab; the two runs alternate so load hits both.
import { up, type RunningLab } from "../controller/index.js";
import { parseLab, jobsFor, startAgent, type AgentEvent, type AgentJob } from "../controller/advanced.js";

export const TARGET_THROUGHPUT = 0.7;
const COUNT = Number.parseInt(process.env.BENCH_MESSAGES ?? "200000", 10);

const LAB = `
name: bench-msg
networks:
  near: { subnet: 198.19.50.0/24 }
  far:  { subnet: 198.19.51.0/24 }
nodes:
  client: { interfaces: { near: 198.19.50.10 }, routes: [{ to: 198.19.51.0/24, via: 198.19.50.2 }] }
  router: { forward: true, interfaces: { near: 198.19.50.2, far: 198.19.51.2 } }
  server: { interfaces: { far: 198.19.51.10 }, routes: [{ to: 198.19.50.0/24, via: 198.19.51.2 }] }
traffic:
  routed-pub: { node: server, socket: pub, bind: tcp://198.19.51.10:7000, send: { count: ${COUNT}, size: 64 } }
  routed-sub: { node: client, socket: sub, connect: "tcp://198.19.50.10:0;198.19.51.10:7000" }
  local-pub:  { node: server, socket: pub, bind: tcp://198.19.51.10:7001, send: { count: ${COUNT}, size: 64 } }
  local-sub:  { node: server, socket: sub, connect: "tcp://198.19.51.10:0;198.19.51.10:7001" }
settings: { handshakeTimeout: 5000, trafficTimeout: 120000 }
`;

export interface ThroughputResult {
  messages: number;
  routed: { rate: number; received: number }[];
  local: { rate: number; received: number }[];
  medianRouted: number;
  medianLocal: number;
  ratio: number;
  met: boolean;
}

/** Start only the named endpoints, wait for the publisher to finish, stop, return the subscriber's result. */
async function pair(lab: RunningLab, jobs: AgentJob[], pub: string, sub: string): Promise<{ rate: number; received: number }> {
  const only = (names: string[]) => jobs.map((j) => ({ ...j, endpoints: j.endpoints.filter((e) => names.includes(e.name)) })).filter((j) => j.endpoints.length);
  const agents = await Promise.all(only([pub, sub]).map((job) => startAgent(lab, job)));
  const publisher = agents.find((a) => a.job.endpoints.some((e) => e.name === pub))!;
  await new Promise<void>((resolve) => {
    const bound = setTimeout(resolve, 120000);
    const done = () => {
      clearTimeout(bound);
      resolve();
    };
    publisher.onEvent((e) => e.type === "sent" && done());
    publisher.finished.then(done);
  });
  await new Promise((r) => setTimeout(r, 500));
  for (const a of agents) a.stop();
  await Promise.all(agents.map((a) => a.finished));
  const final = agents.flatMap((a) => a.events).find((e): e is Extract<AgentEvent, { type: "final" }> => e.type === "final" && e.endpoint === sub);
  return { rate: Math.round(final?.result.rate ?? 0), received: final?.result.received ?? 0 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchThroughput(rounds: number, log: (line: string) => void): Promise<ThroughputResult> {
  const lab = await up(parseLab(LAB, "bench/throughput.ts"));
  try {
    const jobs = await jobsFor(lab);
    const routed: { rate: number; received: number }[] = [];
    const local: { rate: number; received: number }[] = [];
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? ["routed", "local"] : ["local", "routed"];
      for (const which of order) {
        const result = which === "routed" ? await pair(lab, jobs, "routed-pub", "routed-sub") : await pair(lab, jobs, "local-pub", "local-sub");
        (which === "routed" ? routed : local).push(result);
        log(`  round ${i + 1} ${which}: ${result.rate} msg/s, ${result.received} of ${COUNT} received`);
      }
    }
    const medianRouted = median(routed.map((r) => r.rate));
    const medianLocal = median(local.map((r) => r.rate));
    const ratio = medianLocal ? medianRouted / medianLocal : 0;
    return { messages: COUNT, routed, local, medianRouted, medianLocal, ratio: Math.round(ratio * 100) / 100, met: ratio >= TARGET_THROUGHPUT };
  } finally {
    await lab.down();
  }
}
