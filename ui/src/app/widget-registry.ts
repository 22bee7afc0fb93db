// The shell's widget registry: one line per feature that contributes to the signed-in frame
// (declared as `widgets` in its routes.tsx). The shell places them by slot and order.
export { widgets as tenants } from "@/features/tenants/routes";
export { widgets as live } from "@/features/live/routes";
