export { default } from "../features/drift";
