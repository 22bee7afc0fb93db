export { default } from "../features/users";
