export { default } from "../features/roles";
