// The per-attempt deadline handler on its own, against a loopback HTTP server that misbehaves on demand.
import { getEventListeners } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttemptDeadlineHandler } from "../../../drift/live/deadline";
import { misbehave, type HttpFault } from "../../support/http-faults";

let server: Server;
let port: number;
const BODY = JSON.stringify({ associations: [], nextToken: null });

beforeAll(async () => {
  server = createServer((req, res) => {
    const fault = new URL(req.url ?? "/", "http://x").searchParams.get("fault") as HttpFault | null;
    if (fault) void misbehave(fault, req, res, BODY, "application/json");
    else res.end(BODY);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The fields of the SDK's HttpRequest the handler reads. */
const request = (fault?: HttpFault) =>
  ({ protocol: "http:", hostname: "127.0.0.1", port, method: "GET", path: "/", query: fault ? { fault } : {}, headers: {} }) as unknown as Parameters<
    AttemptDeadlineHandler["handle"]
  >[0];

async function readAll(body: Readable): Promise<string> {
  let text = "";
  for await (const chunk of body) text += String(chunk);
  return text;
}

describe("AttemptDeadlineHandler", () => {
  it("a response in time is read whole, and leaves no listener on the caller's signal", async () => {
    const handler = new AttemptDeadlineHandler(2_000);
    const parent = new AbortController();
    const { response } = await handler.handle(request(), { abortSignal: parent.signal });
    expect(await readAll(response.body as Readable)).toBe(BODY);
    expect(getEventListeners(parent.signal, "abort")).toHaveLength(0);
    handler.destroy();
  });

  it.each([
    ["hang", "no response within 0.2 s (scan.requestTimeoutSeconds)"],
    ["stall-body", "the response body was not complete within 0.2 s (scan.requestTimeoutSeconds)"],
  ] as const)("%s: the attempt fails at the deadline with TimeoutError (the SDK retries that name)", async (fault, message) => {
    const handler = new AttemptDeadlineHandler(200);
    const attempt = handler.handle(request(fault)).then(({ response }) => readAll(response.body as Readable));
    await expect(attempt).rejects.toMatchObject({ name: "TimeoutError", message });
    handler.destroy();
  });

  it.each([
    ["a DOM AbortSignal", () => new AbortController()],
    [
      "the SDK's { aborted, onabort } signal",
      () => {
        const signal = { aborted: false, reason: undefined as unknown, onabort: null as null | (() => void) };
        return { signal, abort: (reason: unknown) => Object.assign(signal, { aborted: true, reason }).onabort?.() };
      },
    ],
  ])("the caller's abort (%s) ends an attempt whose body stalls, with an AbortError", async (_name, make) => {
    const handler = new AttemptDeadlineHandler(10_000);
    const parent = make();
    const { response } = await handler.handle(request("stall-body"), { abortSignal: parent.signal as AbortSignal });
    const reading = readAll(response.body as Readable);
    parent.abort(new Error("cluster deadline"));
    await expect(reading).rejects.toMatchObject({ name: "AbortError" });
    handler.destroy();
  });
});
