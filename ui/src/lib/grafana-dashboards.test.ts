import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { dashboardUrl, DASHBOARDS } from "./grafana-dashboards";

// Vitest runs from ui/; the provisioned dashboards live in ../grafana/dashboards.
const dir = resolve(process.cwd(), "../grafana/dashboards");

interface DashboardFile {
  uid: string;
  title: string;
  templating?: { list?: Array<{ name: string }> };
}

describe("the console's list of Grafana dashboards", () => {
  it("matches grafana/dashboards/*.json: every dashboard, its uid, title and variables", () => {
    const files = readdirSync(dir).filter((name) => name.endsWith(".json"));
    expect(files.length).toBe(12);
    const fromFiles = files
      .map((name) => JSON.parse(readFileSync(resolve(dir, name), "utf8")) as DashboardFile)
      .map((d) => ({ uid: d.uid, title: d.title, variables: (d.templating?.list ?? []).map((v) => v.name) }))
      .sort((a, b) => a.uid.localeCompare(b.uid));
    const listed = DASHBOARDS.map(({ uid, title, variables }) => ({ uid, title, variables: [...variables] })).sort((a, b) => a.uid.localeCompare(b.uid));
    expect(listed).toEqual(fromFiles);
  });
});

describe("dashboardUrl", () => {
  const byUid = (uid: string) => DASHBOARDS.find((d) => d.uid === uid)!;

  it("links the dashboard by uid, with the last hour", () => {
    expect(dashboardUrl("https://grafana.example/", byUid("cl-ops-overview"))).toBe("https://grafana.example/d/cl-ops-overview?from=now-1h&to=now");
  });

  it("sets the tenant and correlation id only on dashboards that take them", () => {
    expect(dashboardUrl("https://g", byUid("cl-noisy-neighbor"), { tenant: "acme" })).toBe("https://g/d/cl-noisy-neighbor?from=now-1h&to=now&var-tenant=acme");
    expect(dashboardUrl("https://g", byUid("cl-ops-overview"), { tenant: "acme" })).not.toContain("var-tenant");
    expect(dashboardUrl("https://g", byUid("cl-logs"), { correlationId: "c-1", tenant: "acme" })).toBe("https://g/d/cl-logs?from=now-1h&to=now&var-correlation_id=c-1");
  });
});
