import { describe, expect, it } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { holdersByRole, parseBindings, parseRoles, parseSessions, parseUsers, scopeLabel } from "./parse";
import { revokeSession } from "./queries";

describe("IAM pass-through bodies are read defensively", () => {
  it("accepts a bare list or a wrapped one", () => {
    expect(parseUsers([{ id: "u1", name: "Ada", roles: ["admin"] }])).toEqual([
      { id: "u1", name: "Ada", roles: ["admin"], bindings: [{ role: "admin", tenants: null }], disabled: false, hasPassword: false },
    ]);
    expect(parseUsers({ users: [{ id: "u2", roles: [{ name: "viewer" }], disabled: true, has_password: true }] })).toEqual([
      { id: "u2", name: null, roles: ["viewer"], bindings: [{ role: "viewer", tenants: null }], disabled: true, hasPassword: true },
    ]);
    expect(parseRoles({ items: [{ name: "admin", rights: ["control.access", 7, null], description: "All" }] })).toEqual([
      { name: "admin", rights: ["control.access", "7"], description: "All" },
    ]);
  });

  it("reads bindings with their tenants, and who holds each role", () => {
    const users = parseUsers({
      items: [
        { id: "op", roles: ["tenant-operator"], bindings: [{ role: "tenant-operator", tenants: ["acme-eu", "acme-us"] }] },
        { id: "v", roles: ["viewer"], bindings: [{ role: "viewer", tenants: null }] },
        { id: "w", bindings: [{ role: "viewer" }, { nonsense: true }] },
      ],
    });
    expect(users[0]!.bindings).toEqual([{ role: "tenant-operator", tenants: ["acme-eu", "acme-us"] }]);
    expect(scopeLabel(users[0]!.bindings[0]!)).toBe("tenants acme-eu, acme-us");
    expect(scopeLabel(users[1]!.bindings[0]!)).toBe("platform-wide");
    expect(holdersByRole(users)).toEqual(new Map([["tenant-operator", ["op"]], ["viewer", ["v", "w"]]]));
    expect(parseBindings({ items: [{ role: "r", tenants: ["t"] }] })).toEqual([{ role: "r", tenants: ["t"] }]);
  });

  it("reads epoch-second timestamps as RFC 3339", () => {
    expect(parseSessions([{ id: "s", created_at: 1795740067, expires_at: "2026-11-27T08:00:00Z" }])[0]).toMatchObject({
      createdAt: "2026-11-27T00:41:07.000Z",
      expiresAt: "2026-11-27T08:00:00Z",
    });
  });

  it("drops entries without an identity and ignores junk", () => {
    expect(parseSessions([{ principal_id: "p" }, "nonsense", null, { id: "s1", status: "active", method: "sso" }])).toEqual([
      { id: "s1", principalId: null, createdAt: null, expiresAt: null, status: "active", method: "sso" },
    ]);
    expect(parseUsers("<html>")).toEqual([]);
    expect(parseRoles(null)).toEqual([]);
  });
});

describe("IAM pass-through paths", () => {
  it("keeps the slashes of a nested Gateway path and returns the change's correlation id", async () => {
    const fake = installFakeApi({
      routes: [["POST", /^\/admin\/v1\/iam\/sessions\/([^/]+)\/revoke$/, () => ({ body: { status: "revoked" }, headers: { "x-correlation-id": "corr-rev" } })]],
    });
    const change = await revokeSession("s 1");
    expect(new URL(fake.requests[0]!.url).pathname).toBe("/admin/v1/iam/sessions/s%201/revoke");
    expect(change.correlationId).toBe("corr-rev");
  });
});
