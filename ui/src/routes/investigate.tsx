export { default } from "../features/investigate";
