// The JSON report's format, defined once: the report's types are these schemas' (run/index.ts's
// LAB_REPORT, made of the traffic report's, the verdicts', the phases'), and report.schema.json is
// written from them by `npm run generate`. The verdicts' kinds come from the registry.
import { expectationResultSchema } from "../expect/registry.js";
import { LAB_REPORT } from "../run/index.js";

/** The JSON report's JSON Schema, as written to report.schema.json. */
export function reportSchema(): object {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://zmqlab.dev/schema/report.schema.json",
    title: "zmqlab report",
    description: "What `zmqlab run --json FILE` writes: the traffic report of every endpoint (ms since the run's time 0), the routers' counters, the faults as they happened, and every expectation's verdict.",
    ...LAB_REPORT,
    properties: { ...LAB_REPORT.properties, expectations: { type: "array", items: expectationResultSchema() } },
  };
}
