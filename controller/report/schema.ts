// The JSON report's format, defined once: the report's types are these schemas' (run/index.ts's
// LAB_REPORT, made of the traffic report's, the verdicts', the phases'), and report.schema.json is
// written from them by `npm run generate`. The verdicts' kinds come from the registry.
import { expectationResultSchema } from "../expect/registry.js";
import { LAB_REPORT } from "../run/index.js";
import { REPEAT_REPORT } from "../runs/repeat.js";
import { SWEEP_REPORT } from "../runs/sweep.js";

/** The JSON report's JSON Schema, as written to report.schema.json. */
export function reportSchema(): object {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://zmqlab.dev/schema/report.schema.json",
    title: "zmqlab report",
    description:
      "What `zmqlab run --json FILE` writes: the traffic report of every endpoint (ms since the run's time 0), the routers' counters, the faults as they happened, and every expectation's verdict.",
    ...LAB_REPORT,
    properties: { ...LAB_REPORT.properties, expectations: { type: "array", items: expectationResultSchema() } },
  };
}

/** The JSON Schema of `zmqlab run --repeat N --json FILE` (runs/repeat.ts's REPEAT_REPORT), as written to repeat.schema.json. */
export function repeatSchema(): object {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://zmqlab.dev/schema/repeat.schema.json",
    title: "zmqlab repeat report",
    description:
      "What `zmqlab run LAB --repeat N --json FILE` writes: each expectation's pass count against its quorum, every figure of the runs as a distribution, and each run's verdict (a failing run's own report is a report.schema.json file).",
    ...REPEAT_REPORT,
  };
}

/** The JSON Schema of `zmqlab sweep --json FILE` (runs/sweep.ts's SWEEP_REPORT), as written to sweep.schema.json. */
export function sweepSchema(): object {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://zmqlab.dev/schema/sweep.schema.json",
    title: "zmqlab sweep report",
    description:
      "What `zmqlab sweep LAB --json FILE` writes: the baseline and one row per failure, each cell an expectation held or failed and whether it differs from the baseline, the flows that moved and each receiver's outage (every run's own report is a report.schema.json file).",
    ...SWEEP_REPORT,
  };
}
