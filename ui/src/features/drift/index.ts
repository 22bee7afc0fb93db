// Public surface of the drift feature: its query keys (the live stream's invalidation uses them);
// its pages are in routes.tsx.
export { driftKeys } from "./queries";
