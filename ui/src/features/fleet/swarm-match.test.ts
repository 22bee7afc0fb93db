import { describe, expect, it } from "vitest";
import type { InstanceHealth } from "@/api";
import { fleetInstancesOf } from "./model";

const instance = (over: Partial<InstanceHealth>): InstanceHealth =>
  ({ service: "aggregate", kind: "aggregate", instance: "aggregate-1", url: "http://127.0.0.1:8711", health: "ok", ready: "ready", ...over }) as InstanceHealth;

describe("fleetInstancesOf", () => {
  const fleet = [
    instance({}),
    instance({ instance: "aggregate-2", url: "http://127.0.0.1:8712/" }),
    instance({ instance: "platform_runner", service: "runner", kind: "runner", url: "http://runner:8080" }),
    instance({ instance: "control-1", service: "control_api", kind: "control", url: "http://api:8000" }),
  ];

  it("matches the instance at the Swarm service's admin address, trailing slashes aside", () => {
    expect(fleetInstancesOf({ service: "platform_aggregate-2", admin_url: "http://127.0.0.1:8712" }, fleet).map((i) => i.instance)).toEqual(["aggregate-2"]);
  });

  it("matches an instance discovered from the service (its name) or belonging to it (its logical service)", () => {
    expect(fleetInstancesOf({ service: "platform_runner", admin_url: null }, fleet).map((i) => i.instance)).toEqual(["platform_runner"]);
    expect(fleetInstancesOf({ service: "control_api" }, fleet).map((i) => i.instance)).toEqual(["control-1"]);
  });

  it("finds nothing for a service the fleet does not know", () => {
    expect(fleetInstancesOf({ service: "platform_projection-1", admin_url: "http://127.0.0.1:9999" }, fleet)).toEqual([]);
  });
});
