// Public surface of the observability feature: the Grafana dashboards and their deep links.
export { DASHBOARDS, dashboardUrl, type DashboardInfo } from "./dashboards";
