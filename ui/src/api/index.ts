// Public surface of api/: the one HTTP client, its errors, request identity and schema names.
// schema.d.ts is generated (`npm run gen`) and never edited by hand.
export { api, createApiClient, currentAuth, identityMiddleware, isTenantScoped, setApiAuth, unwrap, type ApiAuth } from "./client";
export * from "./events";
export * from "./errors";
export * from "./identity";
export * from "./types";
export type { components, paths } from "./schema";
