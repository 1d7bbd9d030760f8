// The real process (bin/pod-identity-drift.js watch) as a child: SIGTERM during a scan, start-up errors.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump, load } from "js-yaml";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN } from "../drift/support/cli";
import { startLeaseServer, type LeaseServer } from "../support/k8s-lease-server";
import { startScenario, type Scenario } from "./scenario";
import { waitFor } from "./helpers";

interface Child {
  readonly proc: ChildProcess;
  readonly lines: Record<string, unknown>[];
  stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function watch(args: string[], env: Record<string, string>, cwd: string): Child {
  const proc = spawn(process.execPath, [BIN, "watch", ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: cwd, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const child: Child = {
    proc,
    lines: [],
    stderr: "",
    exited: new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal }))),
  };
  let buf = "";
  proc.stdout!.on("data", (d: Buffer) => {
    buf += d.toString("utf8");
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        child.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        child.lines.push({ raw: line });
      }
    }
  });
  proc.stderr!.on("data", (d: Buffer) => (child.stderr += d.toString("utf8")));
  return child;
}

const children: Child[] = [];
afterAll(() => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
});

function msgs(c: Child): string[] {
  return c.lines.map((l) => String(l.msg));
}

describe("the watch process", () => {
  let sc: Scenario;
  beforeAll(async () => {
    sc = await startScenario({ schedule: "0 0 1 1 *", listen: "127.0.0.1:0", graceSeconds: 1 });
    return () => sc.close();
  });

  it("SIGTERM during a scan that outlasts the grace period: aborts it, closes the store, exits 0", async () => {
    // The first scan's list call hangs far beyond the grace period.
    const undo = sc.emu.delay(120_000, { operation: "ListPodIdentityAssociations" });
    const c = watch(["--config", sc.configPath], sc.env, sc.dir);
    children.push(c);
    await waitFor("daemon started", () => msgs(c).includes("daemon started"), 30_000);
    await waitFor("the scan is in flight", () => sc.emu.count({ operation: "ListPodIdentityAssociations" }) === 0 && existsSync(sc.historyPath), 30_000);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    c.proc.kill("SIGTERM");
    const { code, signal } = await c.exited;
    const elapsed = Date.now() - t0;
    undo();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    // Generous bound: grace (1 s) + the abort, far below the 120 s the scan would have taken.
    expect(elapsed).toBeLessThan(20_000);
    const m = msgs(c);
    expect(m).toContain("shutting down");
    expect(m).toContain("scan still running after the grace period: aborting it");
    expect(m).toContain("history store closed");
    expect(m.at(-1)).toBe("stopped");
    expect(c.lines.find((l) => l.msg === "shutting down")).toMatchObject({ reason: "SIGTERM", scanInFlight: true });
    expect(existsSync(`${sc.historyPath}-wal`)).toBe(false);
  }, 90_000); // a process start and a scan; generous for a loaded CI machine

  it("SIGTERM during a scan that ends within the grace period: the scan finishes, exit 0", async () => {
    const undo = sc.emu.delay(1_500, { operation: "ListPodIdentityAssociations" });
    const c = watch(["--config", sc.configPath, "--grace-seconds", "30"], sc.env, sc.dir);
    children.push(c);
    await waitFor("daemon started", () => msgs(c).includes("daemon started"), 30_000);
    await new Promise((r) => setTimeout(r, 300));
    c.proc.kill("SIGTERM");
    const { code } = await c.exited;
    undo();
    expect(code).toBe(0);
    const m = msgs(c);
    expect(m.indexOf("scan finished")).toBeGreaterThan(m.indexOf("shutting down"));
    expect(m).not.toContain("scan still running after the grace period: aborting it");
    expect(c.lines.find((l) => l.msg === "stopped")).toMatchObject({ abortedScan: false });
    expect(m).toContain("history store closed");
  }, 90_000);

  it("port in use, bad schedule, bad timezone: exit 1 with a clear message on stderr", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const cases: [string[], RegExp][] = [
        [["--listen", `127.0.0.1:${port}`], new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use \\(EADDRINUSE\\)`)],
        [["--schedule", "0 25 * * *"], /invalid schedule "0 25 \* \* \*": 25 is a invalid expression for hour/],
        [["--timezone", "Europe/Atlantis"], /invalid timezone "Europe\/Atlantis": not an IANA time zone name/],
      ];
      const runs = cases.map(([args]) => {
        const c = watch(["--config", sc.configPath, ...args], sc.env, sc.dir);
        children.push(c);
        return c;
      });
      for (const [i, c] of runs.entries()) {
        const { code } = await c.exited;
        expect(code).toBe(1);
        expect(c.stderr).toMatch(cases[i]![1]);
        expect(c.stderr).toMatch(/^pod-identity-drift watch: /);
      }
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });
});

describe("two watch processes with leader election", () => {
  let sc: Scenario;
  let lease: LeaseServer;
  beforeAll(async () => {
    lease = await startLeaseServer();
    sc = await startScenario({
      schedule: "* * * * * *",
      listen: "127.0.0.1:0",
      leaderElection: { enabled: true, namespace: "drift", leaseDurationSeconds: 8, renewDeadlineSeconds: 5, retryPeriodSeconds: 1 },
    });
    return async () => {
      await sc.close();
      await lease.close();
    };
  });

  /** A replica's config: the scenario's, with a SQLite history file of its own, as each pod has its own
   * volume (two processes on one file would wait on each other's write lock, which replicas never do). */
  const replicaConfig = (name: string): string => {
    const config = load(readFileSync(sc.configPath, "utf8")) as { history: { path: string } };
    config.history.path = join(sc.dir, "history", `${name}.db`);
    const path = join(sc.dir, `drift-${name}.yaml`);
    writeFileSync(path, dump(config));
    return path;
  };

  it("one leads; SIGKILL it and the other takes over after the Lease expires", async () => {
    const env = { ...sc.env, KUBECONFIG: lease.kubeconfigPath };
    const a = watch(["--config", replicaConfig("replica-a")], { ...env, POD_NAME: "replica-a" }, sc.dir);
    const b = watch(["--config", replicaConfig("replica-b")], { ...env, POD_NAME: "replica-b" }, sc.dir);
    children.push(a, b);
    const holder = () => lease.lease("drift", "pod-identity-drift")?.spec.holderIdentity;
    await waitFor("a leader", () => holder(), 40_000);
    await waitFor("both running", () => msgs(a).includes("daemon started") && msgs(b).includes("daemon started"), 40_000);
    const [leader, follower, followerName] = holder()!.startsWith("replica-a_") ? [a, b, "replica-b"] : [b, a, "replica-a"];
    await waitFor("leader scans", () => msgs(leader).filter((m) => m === "scan finished").length >= 2, 30_000);
    expect(msgs(follower)).not.toContain("scan finished");

    leader.proc.kill("SIGKILL");
    await leader.exited;
    // Identities are POD_NAME plus a random suffix.
    await waitFor("takeover", () => holder()?.startsWith(`${followerName}_`), 30_000);
    // At least this takeover (a loaded machine may have moved the Lease before, never to two holders at once).
    expect(lease.lease("drift", "pod-identity-drift")!.spec.leaseTransitions).toBeGreaterThanOrEqual(1);
    await waitFor("new leader scans", () => msgs(follower).includes("scan finished"), 30_000);
    follower.proc.kill("SIGTERM");
    expect((await follower.exited).code).toBe(0);
    // It released the Lease on the way out.
    expect(holder()).toBeUndefined();
  }, 150_000); // the sum of the waits above: two process starts, a lease expiry, scans on a busy CI machine

  it("no Kubernetes API server configured (no KUBECONFIG, no ~/.kube/config, not in a pod): exit 1 with a clear message", async () => {
    // HOME is the scenario's directory, which has no .kube/config.
    const c = watch(["--config", sc.configPath], { ...sc.env, POD_NAME: "replica-nowhere" }, sc.dir);
    children.push(c);
    expect((await c.exited).code).toBe(1);
    expect(c.stderr).toMatch(
      /^pod-identity-drift watch: leader election is on but no Kubernetes API server is configured: no KUBECONFIG, no ~\/\.kube\/config, and not in a pod .*set KUBECONFIG or pass --kubeconfig/,
    );
    expect(msgs(c)).not.toContain("daemon started");
  }, 60_000); // a process start on a busy CI machine

  it("SIGTERM while its first Lease request hangs: no scan, the request abandoned, exit 0", async () => {
    // Long Lease timings: the request would only time out after 50 s (half the renew deadline), so an exit
    // within the bound below means shutdown abandoned it rather than waited for it.
    const config = load(readFileSync(sc.configPath, "utf8")) as { daemon: { leaderElection: Record<string, unknown> } };
    config.daemon.leaderElection = { ...config.daemon.leaderElection, leaseDurationSeconds: 120, renewDeadlineSeconds: 100, retryPeriodSeconds: 2 };
    const configPath = join(sc.dir, "drift-hung-lease.yaml");
    writeFileSync(configPath, dump(config));
    lease.faultFor("hung", { kind: "hang" });
    try {
      const c = watch(
        ["--config", configPath, "--grace-seconds", "2"],
        { ...sc.env, KUBECONFIG: lease.kubeconfigFor("hung"), POD_NAME: "replica-hung" },
        sc.dir,
      );
      children.push(c);
      await waitFor("the first Lease request hanging", () => lease.hanging("hung") > 0, 40_000);
      const t0 = Date.now();
      c.proc.kill("SIGTERM");
      const { code, signal } = await c.exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      // Generous bound for a loaded machine: the grace period (2 s), far below the request's 50 s timeout.
      expect(Date.now() - t0).toBeLessThan(20_000);
      const m = msgs(c);
      expect(m).not.toContain("scan finished");
      expect(m.at(-1)).toBe("stopped");
    } finally {
      lease.faultFor("hung", undefined);
    }
  }, 90_000); // a process start on a busy CI machine
});
