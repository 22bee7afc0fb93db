export { default } from "../features/sessions";
