// Nothing left behind at scale: a 100-node lab on 10 networks, brought up and taken down through
// the API. Docker 20.10 used to keep a network after such a teardown ("has active endpoints" with
// no container: a leaked endpoint count) in about one cycle of four. npm test makes one cycle;
// the soak, ten in a row, is ZMQLAB_SCALE_CYCLES=10 (CONTRIBUTING.md, The bench): repeated
// 100-node cycles take five minutes, the suite's budget is the whole suite's.
import t from "tap";
import { down, up } from "../../controller/index.js";
import { routedLab } from "../../bench/labs.js";
import { labeled } from "../support/helpers.js";

const LAB = "scale-100";
const CYCLES = Math.max(1, Number.parseInt(process.env["ZMQLAB_SCALE_CYCLES"] ?? "1", 10) || 1);
// 2 routers on all 10 networks (198.19.70.0/24 .. 198.19.79.0/24), 98 hosts with two addresses
// each, a static route and a policy route: the lab the leak was seen with.
const loaded = routedLab(LAB, 100, 10, 70);

// Ten cycles of a 100-node lab (the soak) outlast the per-file default (package.json's tap.timeout); a
// safety net for a hung engine, not a bound on speed.
t.setTimeout(60 * 60_000);

t.before(async () => {
  const left = await labeled(LAB);
  if (left.containers || left.networks) throw new Error(`lab ${LAB} is already on this engine (${left.containers} containers, ${left.networks} networks): zmqlab down ${LAB} first`);
});

for (let cycle = 1; cycle <= CYCLES; cycle++) {
  t.test(`cycle ${cycle} of ${CYCLES}: up, then down leaves no container and no network`, async (t) => {
    const lab = await up(loaded);
    t.same(await labeled(LAB), { containers: 100, networks: 10 }, "up: 100 containers on 10 networks");
    await lab.down();
    t.same(await labeled(LAB), { containers: 0, networks: 0 }, "down: nothing labeled with the lab is left");
  });
}

// A failed cycle must not leave the lab for the next run (the failure itself is already reported).
t.teardown(() =>
  down(LAB).then(
    () => undefined,
    () => undefined,
  ),
);
