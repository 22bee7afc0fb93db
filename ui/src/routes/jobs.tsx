export { default } from "../features/jobs";
