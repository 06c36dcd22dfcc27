// A command of the lab file's own, run in a node at its time.
import Type from "typebox";
import { faultKind } from "../kind.js";

export const execKind = faultKind({
  kind: "exec",
  written: { key: "exec", value: Type.Array(Type.String(), { minItems: 1, description: "A command run in the node, an argument list (no shell)." }) },
  target: "node",
  inside: true,
  doc: { does: "runs the command in the node; a non-zero exit is a failed fault (its check fails the run)", kernel: "whatever the command does" },
  walk: () => undefined,
  plan(step, context) {
    const node = step.spec.node!;
    const argv = step.spec.exec!;
    return { description: `run ${argv.join(" ")} in ${node}`, steps: [{ node, commands: [{ argv, why: context.why("from the lab file (exec)"), asWritten: true }] }] };
  },
});
