// The lab schema itself: the loader compiles it without checking it against JSON Schema's
// meta-schema (to start faster), so this test does, strictly.
import { Ajv } from "ajv";
import { readFileSync } from "node:fs";
import t from "tap";

t.test("lab.schema.json is a valid JSON Schema that ajv compiles in strict mode", async (t) => {
  const schema = JSON.parse(readFileSync("controller/lab/lab.schema.json", "utf8")) as object;
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  t.ok(ajv.validateSchema(schema), JSON.stringify(ajv.errors));
  t.doesNotThrow(() => ajv.compile(schema));
});
