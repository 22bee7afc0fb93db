export { default } from "../features/definitions";
