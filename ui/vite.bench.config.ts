import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Builds bench/ (a benchmark fixture page) into dist-bench/; never part of the app build.
export default defineConfig({
  root: "bench",
  base: "./",
  plugins: [react(), tailwindcss()],
  build: { outDir: "../dist-bench", emptyOutDir: true },
});
