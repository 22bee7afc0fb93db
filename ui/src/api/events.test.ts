import { afterEach, describe, expect, it, vi } from "vitest";
import type { LiveStreamState } from "@/lib";
import { setApiAuth } from "./client";
import { backoffDelay, MAX_BACKOFF_MS, openEventStream, parseLiveEvent, type EventStream, type LiveEvent } from "./events";

/** A server-sent-events response whose body the test writes to, chunk by chunk. */
function sseStream() {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    response: new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } }),
    send(text: string) {
      controller.enqueue(encoder.encode(text));
    },
    event(event: string, id: number, data: unknown) {
      this.send(`id: ${id}\r\nevent: ${event}\r\ndata: ${JSON.stringify(data)}\r\n\r\n`);
    },
    end() {
      controller.close();
    },
  };
}

type Stream = ReturnType<typeof sseStream>;

/** A fake fetch that answers each connection attempt with the next reply and records the requests. */
function fakeServer(replies: Array<() => Response>) {
  const requests: Request[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    requests.push(request);
    const reply = replies.shift();
    if (!reply) return new Promise<Response>(() => undefined); // hangs: no more answers
    return reply();
  });
  vi.stubGlobal("fetch", fetch);
  return { requests, fetch };
}

let stream: EventStream | null = null;
afterEach(() => {
  stream?.close();
  stream = null;
  setApiAuth({ token: () => null, onUnauthorized: () => undefined });
});

function open(extra: Partial<Parameters<typeof openEventStream>[0]> = {}) {
  const events: LiveEvent[] = [];
  const states: LiveStreamState[] = [];
  const delays: number[] = [];
  stream = openEventStream({
    baseUrl: "http://api.test",
    onEvent: (event) => events.push(event),
    onStatus: (state) => states.push(state),
    backoff: (failures) => {
      delays.push(failures);
      return 5;
    },
    ...extra,
  });
  return { events, states, delays, statuses: () => states.map((s) => s.status) };
}

describe("parseLiveEvent", () => {
  it("reads each topic and what it names", () => {
    expect(parseLiveEvent("job", '{"id":"j1","kind":"platform.verify","status":"running","tenant_id":null}')).toEqual({
      topic: "job",
      data: { id: "j1", kind: "platform.verify", status: "running", tenant_id: null },
    });
    expect(parseLiveEvent("audit", '{"id":"a1","action":"job.create","outcome":"success","job_id":"j1","tenant_id":"acme"}')).toEqual({
      topic: "audit",
      data: { id: "a1", action: "job.create", outcome: "success", job_id: "j1", tenant_id: "acme" },
    });
    expect(parseLiveEvent("deployment", '{"id":"d1","service":"platform_gateway","status":"completed","job_id":null}')).toMatchObject({
      topic: "deployment",
      data: { id: "d1", service: "platform_gateway" },
    });
    expect(parseLiveEvent("placement", '{"generation":4,"revisions":{"aggregate":7}}')).toEqual({
      topic: "placement",
      data: { generation: 4, revisions: { aggregate: 7 } },
    });
    expect(parseLiveEvent("fleet", '{"taken_at":"2026-11-27T00:00:00Z","instances":7,"healthy":7,"ready":6}')).toMatchObject({
      topic: "fleet",
      data: { instances: 7, ready: 6 },
    });
    expect(parseLiveEvent("resync", "{}")).toEqual({ topic: "resync" });
  });

  it("ignores what it does not know instead of guessing", () => {
    expect(parseLiveEvent("job", '{"kind":"x"}')).toBeNull(); // no id
    expect(parseLiveEvent("job", "not json")).toBeNull();
    expect(parseLiveEvent("job", "[1]")).toBeNull();
    expect(parseLiveEvent("quota", '{"id":"q"}')).toBeNull();
  });
});

describe("backoffDelay", () => {
  it("doubles from 1 s up to the cap, with ±20 % jitter", () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffDelay(1, () => 0)).toBe(800);
    expect(backoffDelay(1, () => 1)).toBe(1200);
    expect(backoffDelay(50, () => 1)).toBe(MAX_BACKOFF_MS * 1.2);
  });
});

describe("openEventStream", () => {
  it("connects with the session's token, reports live and delivers events, ignoring heartbeats", async () => {
    setApiAuth({ token: () => "tok-1", onUnauthorized: () => undefined });
    const server = sseStream();
    const { requests } = fakeServer([() => server.response]);
    const seen = open();
    await vi.waitFor(() => expect(seen.statuses()).toEqual(["connecting", "live"]));
    expect(requests[0]!.url).toBe("http://api.test/admin/v1/events");
    expect(requests[0]!.headers.get("authorization")).toBe("Bearer tok-1");
    expect(requests[0]!.headers.get("accept")).toBe("text/event-stream");
    expect(requests[0]!.headers.get("x-request-id")).toMatch(/\S+/);
    expect(requests[0]!.headers.get("last-event-id")).toBeNull();

    server.event("resync", 0, {});
    server.send(": heartbeat\r\n\r\n");
    server.event("job", 1, { id: "j1", kind: "platform.verify", status: "pending", tenant_id: null });
    server.event("mystery", 2, { id: "m" });
    await vi.waitFor(() => expect(seen.events.map((e) => e.topic)).toEqual(["resync", "job"]));
    expect(seen.statuses()).toEqual(["connecting", "live"]);
  });

  it("reconnects with backoff and Last-Event-ID when the server closes the stream", async () => {
    const first = sseStream();
    const second = sseStream();
    const { requests } = fakeServer([() => first.response, () => second.response]);
    const seen = open();
    await vi.waitFor(() => expect(seen.statuses()).toContain("live"));
    first.event("job", 41, { id: "j1", status: "running" });
    first.event("audit", 42, { id: "a1" });
    await vi.waitFor(() => expect(seen.events).toHaveLength(2));
    first.end();
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    expect(requests[1]!.headers.get("last-event-id")).toBe("42");
    await vi.waitFor(() => expect(seen.statuses()).toEqual(["connecting", "live", "retrying", "live"]));
    const retrying = seen.states[2]!;
    expect(retrying.failures).toBe(1);
    expect(retrying.error).toMatch(/closed the stream/);
    expect(retrying.retryAt).not.toBeNull();
    second.event("job", 43, { id: "j2", status: "pending" });
    await vi.waitFor(() => expect(seen.events).toHaveLength(3));
  });

  it("backs off further after each failure and resets once connected", async () => {
    const ok = sseStream();
    const down = () => new Response('{"title":"unavailable"}', { status: 503, headers: { "content-type": "application/problem+json" } });
    const { requests } = fakeServer([down, () => Promise.reject(new TypeError("network down")) as unknown as Response, down, () => ok.response]);
    const seen = open();
    await vi.waitFor(() => expect(seen.statuses().at(-1)).toBe("live"));
    expect(requests).toHaveLength(4);
    expect(seen.delays).toEqual([1, 2, 3]);
    expect(seen.states.filter((s) => s.status === "retrying").map((s) => [s.failures, s.error])).toEqual([
      [1, "HTTP 503"],
      [2, "network down"],
      [3, "HTTP 503"],
    ]);
    expect(seen.states.at(-1)!.failures).toBe(0);
  });

  it("treats a silent stream as dead and reconnects", async () => {
    const quiet = sseStream();
    const next = sseStream();
    const { requests } = fakeServer([() => quiet.response, () => next.response]);
    const seen = open({ silenceMs: 60 });
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    expect(seen.states.find((s) => s.status === "retrying")!.error).toMatch(/no message or heartbeat/);
    await vi.waitFor(() => expect(seen.statuses().at(-1)).toBe("live"));
  });

  it("signs out on 401 and stops reconnecting", async () => {
    const onUnauthorized = vi.fn();
    setApiAuth({ token: () => "expired", onUnauthorized });
    const { requests } = fakeServer([() => new Response("{}", { status: 401, headers: { "content-type": "application/problem+json" } })]);
    open();
    await vi.waitFor(() => expect(onUnauthorized).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests).toHaveLength(1);
  });

  it("stops for good on close(): no reconnect, no more states", async () => {
    const server: Stream = sseStream();
    const { requests } = fakeServer([() => server.response, () => sseStream().response]);
    const seen = open();
    await vi.waitFor(() => expect(seen.statuses()).toContain("live"));
    stream!.close();
    const count = seen.states.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests).toHaveLength(1);
    expect(seen.states).toHaveLength(count);
  });

  it("keeps the stream open when an event handler throws", async () => {
    const server = sseStream();
    fakeServer([() => server.response]);
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    let calls = 0;
    const seen = open({
      onEvent: () => {
        calls += 1;
        if (calls === 1) throw new Error("boom");
      },
    });
    await vi.waitFor(() => expect(seen.statuses()).toContain("live"));
    server.event("job", 1, { id: "j1" });
    server.event("job", 2, { id: "j2" });
    await vi.waitFor(() => expect(calls).toBe(2));
    expect(error).toHaveBeenCalled();
    expect(seen.statuses()).toEqual(["connecting", "live"]);
  });

  it("reconnects at once on reconnectNow(), instead of waiting out the backoff", async () => {
    const down = () => new Response("{}", { status: 503, headers: { "content-type": "application/problem+json" } });
    const ok = sseStream();
    const { requests } = fakeServer([down, () => ok.response]);
    const seen = open({ backoff: () => 60_000 });
    await vi.waitFor(() => expect(seen.statuses()).toEqual(["connecting", "retrying"]));
    expect(seen.states[1]!.retryAt! - Date.now()).toBeGreaterThan(50_000);
    stream!.reconnectNow();
    await vi.waitFor(() => expect(seen.statuses().at(-1)).toBe("live"));
    expect(requests).toHaveLength(2);
  });
});
