import t from "tap";
import { closest, formatPath } from "../../controller/errors.js";

t.test("paths read like the lab file", async (t) => {
  t.equal(formatPath(["nodes", "client", "routes", 1, "via"]), "nodes.client.routes[1].via");
});

t.test("closest suggests likely typos only", async (t) => {
  t.equal(closest("interface", ["interfaces", "routes"]), "interfaces");
  t.equal(closest("zzzz", ["interfaces", "routes"]), undefined);
});
