// The shipped alert expressions (deploy/prometheus/pod-identity-drift.rules.yaml), evaluated on what
// Prometheus would scrape from two replicas (a leader and a follower), then from the follower alone after
// the leader died, then after it took over. A small evaluator covers exactly the expression forms the file
// uses, with PromQL's semantics for them (an aggregation over no series is empty, so it never fires);
// an expression of any other form fails the test.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Daemon, type CheckFn } from "../../drift/daemon/daemon";
import { kubernetesLeaseStore } from "../../drift/daemon/kubernetes-lease";
import { daemonSettingsSchema } from "../../drift/daemon/settings";
import { startLeaseServer, type LeaseServer } from "../support/k8s-lease-server";
import { finding, get, logSink, report, waitFor } from "./helpers";

type Sample = { name: string; labels: Record<string, string>; value: number };
type Scrape = { at: number; samples: Sample[] };

const RULES = (
  load(readFileSync(join(__dirname, "..", "..", "deploy", "prometheus", "pod-identity-drift.rules.yaml"), "utf8")) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  }
).groups[0]!.rules;

function parseExposition(text: string, instance: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = { instance };
    for (const p of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[p[1]!] = p[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function select(samples: Sample[], selector: string): Sample[] {
  const m = /^(\w+)(?:\{(\w+)="([^"]*)"\})?$/.exec(selector.trim());
  if (!m) throw new Error(`unsupported selector ${selector}`);
  return samples.filter((s) => s.name === m[1] && (m[2] === undefined || s.labels[m[2]] === m[3]));
}

const compare = (v: number, op: string, n: number) => (op === ">" ? v > n : op === "!=" ? v !== n : op === "<" ? v < n : op === "==" ? v === n : NaN);

/** Does `expr` return any sample (the alert is pending/firing) at the last scrape? */
function fires(expr: string, scrapes: Scrape[]): boolean {
  if (expr.includes(" or ")) return expr.split(" or ").some((e) => fires(e, scrapes));
  const last = scrapes.at(-1)!;
  let m: RegExpExecArray | null;
  if ((m = /^absent\((.+)\)$/.exec(expr.trim()))) return select(last.samples, m[1]!).length === 0;
  if ((m = /^time\(\) - max\((.+)\) (>|<) (\d+)$/.exec(expr.trim()))) {
    const s = select(last.samples, m[1]!);
    return s.length > 0 && compare(last.at / 1000 - Math.max(...s.map((x) => x.value)), m[2]!, Number(m[3])) === true;
  }
  if ((m = /^sum\((.+)\) (>|!=|==) (\d+)$/.exec(expr.trim()))) {
    const s = select(last.samples, m[1]!);
    return (
      s.length > 0 &&
      compare(
        s.reduce((a, x) => a + x.value, 0),
        m[2]!,
        Number(m[3]),
      ) === true
    );
  }
  if ((m = /^increase\((.+)\[1h\]\) > (\d+)$/.exec(expr.trim()))) {
    const first = scrapes[0]!;
    return select(last.samples, m[1]!).some((s) => {
      const before = select(first.samples, m![1]!).find((b) => JSON.stringify(b.labels) === JSON.stringify(s.labels));
      return s.value - (before?.value ?? 0) > Number(m![2]);
    });
  }
  throw new Error(`the evaluator does not know this expression form: ${expr}`);
}

function firing(scrapes: Scrape[]): string[] {
  return RULES.filter((r) => fires(r.expr, scrapes)).map((r) => r.alert);
}

let lease: LeaseServer;
beforeAll(async () => {
  lease = await startLeaseServer();
});
afterAll(() => lease.close());

describe("the shipped alert expressions with two replicas", () => {
  it("fire for what is true of the deployment, not once per replica, and never because a follower exists", async () => {
    const check: CheckFn = async () => ({
      report: report([
        finding("revocation-pending", { effectiveAfter: "2030-01-01T00:00:00.000Z" }),
        finding("missing"),
        finding("trust-changed", {
          broadens: true,
          role: { arn: "arn:aws:iam::222222222222:role/target", address: "aws_iam_role.target", source: "terraform.tfstate" },
        }),
        finding("permission-changed", {
          broadens: false,
          role: { arn: "arn:aws:iam::111111111111:role/pi", address: "aws_iam_role.pi", source: "terraform.tfstate" },
        }),
      ]),
      durationMs: 1,
      apiCalls: 0,
      associationsByCluster: { alpha: 2 },
    });
    const start = async (id: string) =>
      Daemon.start({
        settings: daemonSettingsSchema.parse({
          schedule: "* * * * * *",
          listen: "127.0.0.1:0",
          leaderElection: {
            enabled: true,
            namespace: "drift",
            leaseName: "alerts",
            identity: id,
            leaseDurationSeconds: 4,
            renewDeadlineSeconds: 2,
            retryPeriodSeconds: 1,
          },
        }),
        check,
        leaseStore: await kubernetesLeaseStore({ name: "alerts", namespace: "drift", kubeconfig: lease.kubeconfigFor(id) }),
        logger: logSink().logger,
        defaultMetrics: false,
      });
    const a = await start("a");
    const b = await start("b");
    try {
      await waitFor("a leader that has scanned", () => [a, b].find((d) => d.isLeader && d.latestReport));
      const [leader, follower] = a.isLeader ? [a, b] : [b, a];
      await waitFor("the follower joined", async () => (await get(`http://127.0.0.1:${follower.address.port}/readyz`)).status === 200);
      const scrape = async (...ds: Daemon[]): Promise<Scrape> => ({
        at: Date.now(),
        samples: (await Promise.all(ds.map(async (d) => parseExposition((await get(`http://127.0.0.1:${d.address.port}/metrics`)).body, d.identity!)))).flat(),
      });

      const both = await scrape(leader, follower);
      expect(select(both.samples, 'pod_identity_drift_findings{kind="revocation-pending"}')).toHaveLength(1);
      expect(select(both.samples, "pod_identity_drift_last_successful_scan_timestamp_seconds").map((s) => s.labels.instance)).toEqual([leader.identity]);
      expect(select(both.samples, "pod_identity_drift_broadening_findings").map((s) => [s.labels.instance, s.value])).toEqual([[leader.identity, 1]]);
      expect(firing([both, both])).toEqual(["PodIdentityRevocationPending", "PodIdentityChainAccessBroadened"]);

      // The leader dies: the follower alone exports no findings and no scan time, and leads nobody yet.
      await leader.crash();
      const alone = await scrape(follower);
      expect(firing([alone, alone])).toEqual(["PodIdentityDriftScanStale", "PodIdentityDriftNoSingleLeader"]);

      await waitFor("takeover and a scan", () => follower.isLeader && follower.latestReport);
      const after = await scrape(follower);
      expect(firing([alone, after])).toEqual(["PodIdentityRevocationPending", "PodIdentityChainAccessBroadened"]);
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  }, 60_000);

  it("every rule's expression is one the evaluator knows (a new form must be added here, not skipped)", () => {
    const empty: Scrape = { at: Date.now(), samples: [] };
    for (const r of RULES) expect(() => fires(r.expr, [empty])).not.toThrow();
  });
});
