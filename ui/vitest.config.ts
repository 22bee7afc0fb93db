import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// CI sums test counts from JUnit files; write one when asked.
const reporters: Array<string | [string, Record<string, unknown>]> =
  process.env.CI_REPORTS === "1"
    ? ["default", ["junit", { outputFile: "../.ci/reports/ui-unit.xml" }]]
    : ["default"];

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    reporters,
    restoreMocks: true,
    testTimeout: 15_000,
  },
});
