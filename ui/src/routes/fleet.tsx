export { default } from "../features/fleet";
