// Renders the app's DataTable with 10,000 rows in headless Chromium and prints the timings.
// Usage: npm run bench   (builds bench/ into dist-bench/ first)
import { chromium } from "@playwright/test";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../dist-bench");
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  try {
    const body = await readFile(join(root, path === "/" ? "index.html" : path));
    res.writeHead(200, { "content-type": types[extname(path) || ".html"] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const { port } = server.address();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => typeof window.runBench === "function");
  await page.evaluate((n) => window.runBench(n), ROWS); // warm-up (JIT, style recalc)
  const runs = [];
  for (let i = 0; i < RUNS; i += 1) runs.push(await page.evaluate((n) => window.runBench(n), ROWS));
  const median = (key) => {
    const sorted = runs.map((r) => r[key]).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  const fmt = (ms) => `${ms.toFixed(1)} ms`;
  console.log(`bench: DataTable ${ROWS} rows, Chromium ${browser.version()}, median of ${RUNS} runs`);
  console.log(`bench:   first render to paint   ${fmt(median("render"))}`);
  console.log(`bench:   sort a column to paint  ${fmt(median("sort"))}`);
  console.log(`bench:   scroll to the end       ${fmt(median("scroll"))}`);
  console.log(`bench:   rows in the DOM         ${runs[0].domRows} of ${ROWS}`);
  console.log(`bench result: ${ROWS} rows rendered in ${fmt(median("render"))}`);
} finally {
  await browser.close();
  server.close();
}
