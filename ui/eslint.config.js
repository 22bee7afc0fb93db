import js from "@eslint/js";
import boundaries from "eslint-plugin-boundaries";
import reactHooks from "eslint-plugin-react-hooks";
import reactRefresh from "eslint-plugin-react-refresh";
import globals from "globals";
import tseslint from "typescript-eslint";

// The layers of src/ (docs/ui.md, "Layers and boundaries"). A file belongs to the first element
// whose pattern matches it. Imports inside one element are free; across elements they follow
// `allowed` below and go through the target's public entry (index.ts; a feature's routes.tsx
// is the entry only the app's route registry uses).
const elements = [
  { type: "main", pattern: "src/main.tsx", mode: "file" },
  { type: "app", pattern: "src/app", mode: "folder" },
  { type: "feature-routes", pattern: "src/features/*/routes.tsx", mode: "file", capture: ["feature"] },
  { type: "feature", pattern: "src/features/*", mode: "folder", capture: ["feature"] },
  { type: "session", pattern: "src/session", mode: "folder" },
  { type: "components", pattern: "src/components/*", mode: "folder", capture: ["group"] },
  { type: "api", pattern: "src/api", mode: "folder" },
  { type: "lib", pattern: "src/lib", mode: "folder" },
  { type: "test", pattern: "src/test", mode: "folder" },
];

const allowed = [
  { from: "main", allow: ["app", "lib"] },
  // The shell, router and route registry: features only through their routes.tsx.
  { from: "app", allow: ["feature-routes", "session", "components", "api", "lib"] },
  { from: "feature-routes", allow: ["lib"] },
  { from: "feature", allow: ["feature", "session", "components", "api", "lib"] },
  { from: "session", allow: ["api", "lib"] },
  // layout may use ui; ui uses nothing above it.
  { from: [["components", { group: "layout" }]], allow: [["components", { group: "ui" }], "api", "lib"] },
  { from: [["components", { group: "ui" }]], allow: ["api", "lib"] },
  { from: "api", allow: ["lib"] },
  { from: "lib", allow: [] },
];

export default tseslint.config(
  { ignores: ["dist", "dist-bench", "test-results", "playwright-report", "src/api/schema.d.ts"] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ["**/*.{ts,tsx,js,mjs}"],
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.browser, ...globals.node },
    },
    plugins: {
      "react-hooks": reactHooks,
      "react-refresh": reactRefresh,
    },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "react-refresh/only-export-components": ["warn", { allowConstantExport: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // Architecture of src/: layers, public entry points, `@/` imports, one query style. Tests
    // (and src/test/ helpers) may reach into what they test.
    files: ["src/**/*.{ts,tsx}"],
    ignores: ["src/**/*.test.{ts,tsx}", "src/test/**"],
    plugins: { boundaries },
    settings: {
      "import/resolver": { typescript: { project: "./tsconfig.json" }, node: true },
      "boundaries/include": ["src/**/*"],
      "boundaries/elements": elements,
    },
    rules: {
      "boundaries/element-types": [
        "error",
        {
          default: "disallow",
          rules: allowed,
          message: "Layer ${file.type} must not import layer ${dependency.type} ('${dependency.source}') (docs/ui.md: layers and boundaries)",
        },
      ],
      "boundaries/entry-point": [
        "error",
        {
          default: "disallow",
          message:
            "'${dependency.source}' reaches into ${dependency.type} internals (${dependency.internalPath}): import its public index.ts (docs/ui.md: layers and boundaries)",
          rules: [
            { target: ["feature", "session", "components", "api", "lib"], allow: "index.ts" },
            { target: ["feature-routes"], allow: "routes.tsx" },
            { target: ["app"], allow: "**" },
          ],
        },
      ],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["../*", "../**"], message: "Use the @/ alias for anything outside this folder (docs/ui.md)." },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "Property[key.name='queryKey'] > ArrayExpression",
          message: "No literal query keys: use the feature's key factory (e.g. jobKeys.lists()) (docs/ui.md: queries).",
        },
      ],
    },
  },
  {
    // Route tables and provider factories are configuration, not hot-reloaded components.
    files: ["**/*.test.{ts,tsx}", "src/test/**", "tests/**", "src/app/**", "src/features/*/routes.tsx"],
    rules: { "react-refresh/only-export-components": "off" },
  },
);
