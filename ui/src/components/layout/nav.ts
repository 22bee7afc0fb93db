export interface NavItem {
  to: string;
  label: string;
}

export interface NavGroup {
  label: string;
  items: NavItem[];
}

export const NAV: NavGroup[] = [
  {
    label: "Operate",
    items: [
      { to: "/", label: "Overview" },
      { to: "/jobs", label: "Jobs" },
      { to: "/audit", label: "Audit Log" },
      { to: "/investigate", label: "Investigate" },
      { to: "/observability", label: "Observability" },
    ],
  },
  {
    label: "Tenants & access",
    items: [
      { to: "/tenants", label: "Tenants" },
      { to: "/users", label: "Users" },
      { to: "/sessions", label: "Sessions" },
      { to: "/roles", label: "Roles & Permissions" },
    ],
  },
  {
    label: "Platform",
    items: [
      { to: "/config", label: "Config" },
      { to: "/definitions", label: "Definitions" },
      { to: "/placement", label: "Scale & Placement" },
      { to: "/deployments", label: "Deployments" },
      { to: "/fleet", label: "Fleet" },
      { to: "/drift", label: "Drift" },
    ],
  },
  {
    label: "Console",
    items: [{ to: "/settings", label: "Settings" }],
  },
];
