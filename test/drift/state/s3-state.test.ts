// State in S3 over a real S3-protocol server (s3rver) on loopback, read by the real @aws-sdk/client-s3
// configured only through the SDK's standard environment (AWS_ENDPOINT_URL_S3, AWS_REGION, credentials).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseS3Uri, readStateSources } from "../../../drift/state";
import type { ApiCallEvent } from "../../../drift/model";
import { startS3Server, type S3Server } from "../../support/s3-server";
import { associationAttributes, stateDocument } from "./fixtures";

let s3: S3Server;
const saved = { ...process.env };

const doc = (sa: string) =>
  JSON.stringify(
    stateDocument([{ type: "aws_eks_pod_identity_association", name: "x", instances: [{ attributes: associationAttributes({ serviceAccount: sa }) }] }]),
  );

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ["tf-state"] });
  process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
  process.env.AWS_REGION = "us-east-1";
  process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  await s3.putObject("tf-state", "eks/terraform.tfstate", doc("default-ws"));
  await s3.putObject("tf-state", "env:/staging/eks/terraform.tfstate", doc("staging-ws"));
  await s3.putObject("tf-state", "states/dev/eks/terraform.tfstate", doc("dev-ws"));
  await s3.putObject("tf-state", "broken.tfstate", "{ not json");
});
afterAll(async () => {
  process.env = saved;
  await s3.close();
});
beforeEach(() => s3.resetCounts());

describe("S3 state sources", () => {
  it("maps workspaces to the backend's key layout", () => {
    expect(parseS3Uri("s3://b/k/terraform.tfstate")).toEqual({ bucket: "b", key: "k/terraform.tfstate" });
    expect(parseS3Uri("s3://b/k.tfstate?workspace=default")).toEqual({ bucket: "b", key: "k.tfstate" });
    expect(parseS3Uri("s3://b/k.tfstate?workspace=dev")).toEqual({ bucket: "b", key: "env:/dev/k.tfstate" });
    expect(parseS3Uri("s3://b/k.tfstate?workspace=dev&workspace_key_prefix=x/y&region=eu-west-1")).toEqual({
      bucket: "b",
      key: "x/y/dev/k.tfstate",
      region: "eu-west-1",
    });
    expect(() => parseS3Uri("s3://b/k?ws=dev")).toThrow(/unknown parameter "ws"/);
    expect(() => parseS3Uri("s3://b")).toThrow(/expected s3:\/\/bucket\/key/);
  });

  it("reads the default workspace and named workspaces, one GetObject each, counted", async () => {
    const events: ApiCallEvent[] = [];
    const results = await readStateSources(
      [
        "s3://tf-state/eks/terraform.tfstate",
        "s3://tf-state/eks/terraform.tfstate?workspace=staging",
        "s3://tf-state/eks/terraform.tfstate?workspace=dev&workspace_key_prefix=states",
      ],
      { onApiCall: (e) => events.push(e) },
    );
    expect(results.map((r) => (r.ok ? r.snapshot.associations[0]!.serviceAccount : r.error.message))).toEqual(["default-ws", "staging-ws", "dev-ws"]);
    expect(results.map((r) => (r.ok ? r.snapshot.source : ""))).toEqual([
      "s3://tf-state/eks/terraform.tfstate",
      "s3://tf-state/eks/terraform.tfstate?workspace=staging",
      "s3://tf-state/eks/terraform.tfstate?workspace=dev&workspace_key_prefix=states",
    ]);
    expect(events).toEqual(Array.from({ length: 3 }, () => ({ operation: "GetObject", outcome: "ok" })));
    expect(s3.count({ method: "GET", bucket: "tf-state" })).toBe(3);
  });

  it("reports NoSuchKey, NoSuchBucket, AccessDenied and a corrupt object by source", async () => {
    const undeny = s3.denyBucket("tf-state");
    const denied = await readStateSources(["s3://tf-state/eks/terraform.tfstate"]);
    undeny();
    const results = await readStateSources(["s3://tf-state/eks/missing.tfstate", "s3://no-such-bucket/terraform.tfstate", "s3://tf-state/broken.tfstate"]);
    expect([...denied, ...results].map((r) => (r.ok ? "ok" : [r.source, r.error.code]))).toEqual([
      ["s3://tf-state/eks/terraform.tfstate", "AccessDenied"],
      ["s3://tf-state/eks/missing.tfstate", "NoSuchKey"],
      ["s3://no-such-bucket/terraform.tfstate", "NoSuchBucket"],
      ["s3://tf-state/broken.tfstate", "StateCorrupt"],
    ]);
    const messages = [...denied, ...results].map((r) => (r.ok ? "" : r.error.message));
    expect(messages[0]).toMatch(/^s3:\/\/tf-state\/eks\/terraform\.tfstate: access denied reading/);
    expect(messages[1]).toMatch(/no state object at s3:\/\/tf-state\/eks\/missing\.tfstate \(NoSuchKey\)/);
    expect(messages[2]).toMatch(/bucket "no-such-bucket" does not exist/);
  });

  it.each([
    ["never answers", "hang" as const, "TimeoutError", /no response within 0\.2 s \(scan\.requestTimeoutSeconds\)/],
    ["stalls in the body (read outside the SDK's retries)", "stall-body" as const, "TimeoutError", /the response body was not complete within 0\.2 s/],
  ])("an S3 endpoint that %s: the source is an error in time, the local one beside it is read", async (_name, fault, code, message) => {
    const undo = s3.fault("tf-state", fault);
    process.env.AWS_MAX_ATTEMPTS = "2";
    const local = join(mkdtempSync(join(tmpdir(), "s3-deadline-")), "local.tfstate");
    writeFileSync(local, doc("local"));
    try {
      const [remote, file] = await readStateSources(["s3://tf-state/eks/terraform.tfstate", local], { requestTimeoutMs: 200, callTimeoutMs: 5_000 });
      expect(remote).toMatchObject({ ok: false, error: { code, message: expect.stringMatching(message) } });
      expect(file!.ok).toBe(true);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
      undo();
    }
  });

  it("the call deadline bounds a source's attempts and backoff together", async () => {
    const undo = s3.fault("tf-state", "hang");
    process.env.AWS_MAX_ATTEMPTS = "10";
    try {
      const [remote] = await readStateSources(["s3://tf-state/eks/terraform.tfstate"], { requestTimeoutMs: 200, callTimeoutMs: 500 });
      expect(remote).toMatchObject({
        ok: false,
        error: {
          code: "CallTimeout",
          message:
            "s3://tf-state/eks/terraform.tfstate: cannot read s3://tf-state/eks/terraform.tfstate: CallTimeout: GetObject and reading its body did not complete, retries included, within 0.5 s (scan.callTimeoutSeconds)",
        },
      });
      expect(s3.count({ bucket: "tf-state" })).toBeLessThan(10);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
      undo();
    }
  });

  it("honours an explicit path-style choice for host-name endpoints (localhost)", async () => {
    process.env.AWS_ENDPOINT_URL_S3 = `http://localhost:${s3.port}`;
    try {
      const [r] = await readStateSources(["s3://tf-state/eks/terraform.tfstate"], { s3ForcePathStyle: true });
      expect(r!.ok).toBe(true);
    } finally {
      process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
    }
  });
});
