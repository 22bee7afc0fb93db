export { default } from "../features/audit";
