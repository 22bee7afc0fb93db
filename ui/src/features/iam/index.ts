// Public surface of the IAM feature (users, sessions, roles): nothing is used elsewhere yet.
export { iamKeys, iamQueries } from "./queries";
