// Public surface of lib/: small, dependency-free helpers every layer may use.
export * from "./clipboard";
export * from "./cn";
export * from "./download";
export * from "./format";
export * from "./ids";
export * from "./links";
export * from "./live";
export * from "./query-params";
export * from "./read";
export * from "./rights";
export * from "./routing";
export * from "./store";
export * from "./tenant";
export * from "./theme";
export * from "./use-cursor-history";
export * from "./use-tenant-sync";
export * from "./use-url-filters";
