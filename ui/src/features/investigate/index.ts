// Public surface of the investigate feature: its page is reached by URL (investigateHref in lib).
export { investigateKeys, investigateQueries } from "./queries";
