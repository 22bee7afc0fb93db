export { default } from "../features/auth";
