// Public surface of the placement feature.
export { placementKeys, placementQueries } from "./queries";
