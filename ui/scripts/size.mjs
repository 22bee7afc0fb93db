// Bundle budget: the JavaScript a first visit downloads (entry script + its modulepreloads),
// gzipped, must stay within the budget. Route chunks load later and are listed for reference.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const BUDGET_KB = Number(process.env.UI_JS_BUDGET_KB ?? 150);
const dist = resolve(dirname(fileURLToPath(import.meta.url)), "../dist");
if (!existsSync(join(dist, "index.html"))) {
  execFileSync(resolve(dist, "../node_modules/.bin/vite"), ["build"], { stdio: "inherit", cwd: resolve(dist, "..") });
}
const html = readFileSync(join(dist, "index.html"), "utf8");
const initial = new Set(
  [...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="\/?([^"]+\.js)"/g)].map((m) => m[1]),
);
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (bytes) => (bytes / 1024).toFixed(1);

let total = 0;
for (const file of initial) {
  const size = gz(file);
  total += size;
  console.log(`initial  ${kb(size).padStart(7)} KB gz  ${file}`);
}
const lazy = readdirSync(join(dist, "assets"))
  .map((name) => `assets/${name}`)
  .filter((file) => file.endsWith(".js") && !initial.has(file));
for (const file of lazy) console.log(`lazy     ${kb(gz(file)).padStart(7)} KB gz  ${file}`);
console.log(`initial JS: ${kb(total)} KB gzip (budget ${BUDGET_KB} KB), ${lazy.length} lazy chunks`);
if (initial.size === 0) {
  console.error("size: found no entry script in dist/index.html");
  process.exit(1);
}
if (total > BUDGET_KB * 1024) {
  console.error(`size: initial JS exceeds the budget by ${kb(total - BUDGET_KB * 1024)} KB`);
  process.exit(1);
}
