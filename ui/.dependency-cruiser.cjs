// Cycle check of ui/src (part of npm run lint). The layer and public-entry rules live in
// eslint.config.js (eslint-plugin-boundaries); this catches what they cannot: a cycle among
// modules, and a cycle among folders (two features, or two layers, that import each other,
// even when no single module is on the loop: e.g. audit -> jobs -> audit through index files).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules (and so features, through their index.ts) must not depend on each other in a cycle (docs/ui.md).",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-circular-folders",
      severity: "error",
      comment: "Features and layers must not depend on each other in a cycle (docs/ui.md).",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "Every import resolves (the @/ alias included).",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Tests and their helpers are leaves (nothing imports them): they can close no cycle.
    exclude: { path: ["\\.d\\.ts$", "\\.test\\.tsx?$", "^src/test/"] },
    // Type-only imports count: a cycle through types is still a cycle in the design.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".d.ts"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
