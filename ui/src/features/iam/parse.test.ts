import { describe, expect, it } from "vitest";
import { installFakeApi } from "@/test/fake-api";
import { parseRoles, parseSessions, parseUsers } from "./parse";
import { revokeSession } from "./queries";

describe("IAM pass-through bodies are read defensively", () => {
  it("accepts a bare list or a wrapped one", () => {
    expect(parseUsers([{ id: "u1", name: "Ada", roles: ["admin"] }])).toEqual([{ id: "u1", name: "Ada", roles: ["admin"] }]);
    expect(parseUsers({ users: [{ id: "u2", roles: [{ name: "viewer" }] }] })).toEqual([{ id: "u2", name: null, roles: ["viewer"] }]);
    expect(parseRoles({ items: [{ name: "admin", rights: ["control.access", 7, null] }] })).toEqual([
      { name: "admin", rights: ["control.access", "7"] },
    ]);
  });
  it("reads epoch-second timestamps as RFC 3339", () => {
    expect(parseSessions([{ id: "s", created_at: 1795740067, expires_at: "2026-11-27T08:00:00Z" }])[0]).toMatchObject({
      createdAt: "2026-11-27T00:41:07.000Z",
      expiresAt: "2026-11-27T08:00:00Z",
    });
  });

  it("drops entries without an identity and ignores junk", () => {
    expect(parseSessions([{ principal_id: "p" }, "nonsense", null, { id: "s1", status: "active" }])).toEqual([
      { id: "s1", principalId: null, createdAt: null, expiresAt: null, status: "active" },
    ]);
    expect(parseUsers("<html>")).toEqual([]);
    expect(parseRoles(null)).toEqual([]);
  });
});

describe("IAM pass-through paths", () => {
  it("keeps the slashes of a nested Gateway path", async () => {
    const fake = installFakeApi({
      routes: [["POST", /^\/admin\/v1\/iam\/sessions\/([^/]+)\/revoke$/, () => ({ body: { revoked: true } })]],
    });
    await revokeSession("s 1");
    expect(new URL(fake.requests[0]!.url).pathname).toBe("/admin/v1/iam/sessions/s%201/revoke");
  });
});
