export { default } from "../features/overview";
