// Public surface of the audit feature.
export { AuditTable } from "./components/audit-table";
export { auditKeys, auditQueries, type AuditFilters } from "./queries";
