export { default } from "../features/settings";
