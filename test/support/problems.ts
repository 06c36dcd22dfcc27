// Shared by the unit tests of the lab file: every problem parseLab reports for a text.
import { LabError, type Problem } from "../../controller/errors.js";
import { parseLab } from "../../controller/lab/load.js";

/** Every problem parseLab reports; none when the lab is valid. */
export function problemsIn(text: string, file = "lab.yaml"): Problem[] {
  try {
    parseLab(text, file);
    return [];
  } catch (err) {
    if (err instanceof LabError) return err.problems;
    throw err;
  }
}
