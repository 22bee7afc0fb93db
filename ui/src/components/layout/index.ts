// Public surface of components/layout: page frame and the header widgets the shell places.
export * from "./global-search";
export * from "./last-request-panel";
export * from "./page";
export * from "./theme-toggle";
