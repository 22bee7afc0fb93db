import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The API serves ui/dist at `/` with an SPA fallback; in dev, proxy the API to the demo.
const apiTarget = process.env.API_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  // `@/` is `src/` (tsconfig.json paths): every import that leaves its own folder uses it.
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  build: {
    target: "es2022",
    sourcemap: false,
  },
  server: {
    proxy: {
      "/admin": apiTarget,
      "/health": apiTarget,
    },
  },
  // `vite preview` serves the built app with the same proxy, for e2e runs without the API's
  // static serving.
  preview: {
    proxy: {
      "/admin": apiTarget,
      "/health": apiTarget,
    },
  },
});
