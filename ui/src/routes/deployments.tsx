export { default } from "../features/deployments";
