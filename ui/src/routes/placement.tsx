export { default } from "../features/placement";
