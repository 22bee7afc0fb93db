export { default } from "../features/config";
