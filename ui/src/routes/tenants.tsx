export { default } from "../features/tenants";
