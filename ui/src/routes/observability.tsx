export { default } from "../features/observability";
