// Generates src/api/schema.d.ts from the API's committed OpenAPI document.
// The generated file is never edited by hand: change the API, then run `npm run gen`.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = resolve(root, process.env.OPENAPI_SOURCE ?? "../api/openapi.json");
const output = resolve(root, "src/api/schema.d.ts");

if (!existsSync(source)) {
  console.error(`gen: ${source} does not exist (the API commits it; see docs/ui.md)`);
  process.exit(1);
}
execFileSync(
  resolve(root, "node_modules/.bin/openapi-typescript"),
  [source, "--output", output, "--alphabetize"],
  { stdio: "inherit" },
);
