// An instance in words: which copy of which lab file, and where its addresses were moved.
import type { Relocation } from "../lab/relocate.js";

/** "the lab file's 198.18.0.0/22 runs at 198.18.4.0/22" for each moved block. */
export const relocationText = (relocations: Relocation[]): string => (relocations.length ? `the lab file's ${relocations.map((r) => `${r.from} runs at ${r.to}`).join(", ")}` : "no address moved");

/** "instance i3fa2c1 of lab source-ip: the lab file's 198.18.0.0/22 runs at 198.18.8.0/22". */
export const instanceText = (instance: { name: string; lab: string; relocations: Relocation[] }): string => `instance ${instance.name} of lab ${instance.lab}: ${relocationText(instance.relocations)}`;
