// Public surface of session/: the one place that knows who is signed in. The token and
// sign-in/out (session.ts, which also plugs the 401 rule into the api client), whoami and
// the rights derived from it (queries.ts), and the guard of the signed-in pages.
export * from "./dev-login";
export * from "./queries";
export * from "./require-auth";
export * from "./session";
export * from "./sso";
