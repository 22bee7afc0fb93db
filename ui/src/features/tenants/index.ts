// Public surface of the tenants feature.
export { PLACEMENT_KINDS, tenantKeys, tenantQueries, type PlacementKind, type TenantFilters } from "./queries";
