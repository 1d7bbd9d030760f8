// The Kubernetes base and the ha overlay, as `kubectl kustomize` renders them, and the Dockerfile: they hold
// the security settings, and they agree with each other and with the daemon (config valid, ports, paths,
// the Lease the Role allows).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAll } from "js-yaml";
import { parseDriftConfig } from "../../drift/config/load";
import { parseListen } from "../../drift/daemon/http";
import { resolveSettings } from "../../drift/daemon/run";

const REPO = join(__dirname, "..", "..");
const KUSTOMIZE = join(REPO, "deploy", "kubernetes");

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

function hasKubectl(): boolean {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// CI installs kubectl (.ci/run → scripts/install-kubectl.sh): there a missing kubectl fails instead of skipping.
const kubectl = hasKubectl();
const runIt = kubectl || process.env.CI === "true";

/** `kubectl kustomize DIR`, parsed. */
function render(dir: string): Obj[] {
  if (!kubectl) throw new Error("kubectl is not installed: run scripts/install-kubectl.sh");
  return loadAll(execFileSync("kubectl", ["kustomize", join(KUSTOMIZE, dir)], { encoding: "utf8" })).map((d) => d as Obj);
}

function only(objects: Obj[], kind: string): Obj {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
}

function driftConfig(objects: Obj[]) {
  const cm = only(objects, "ConfigMap");
  const config = parseDriftConfig(loadAll(cm.data["drift.yaml"])[0], "configmap drift.yaml", "/");
  return { config, settings: resolveSettings(config, {}) };
}

const METRICS_ACCESS_LABEL = "pod-identity-drift/metrics-access";

describe.runIf(runIt).each(["base", "ha"])("deploy/kubernetes/%s, rendered by kubectl kustomize", (variant) => {
  const objects = runIt ? render(variant) : [];
  const deployment = () => only(objects, "Deployment");
  const pod = () => deployment().spec.template.spec;
  const container = () => pod().containers[0];

  it("every object is in the one namespace, which enforces the restricted Pod Security profile", () => {
    const ns = only(objects, "Namespace");
    expect(objects.filter((o) => o.kind !== "Namespace").every((o) => o.metadata.namespace === ns.metadata.name)).toBe(true);
    expect(ns.metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
  });

  it("the pod runs non-root with a read-only root filesystem, no privilege escalation, no capabilities, RuntimeDefault seccomp", () => {
    expect(pod().securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(container().securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod().hostNetwork ?? false).toBe(false);
    expect(container().resources.limits).toMatchObject({ memory: expect.any(String) });
    expect(container().livenessProbe.httpGet).toEqual({ path: "/livez", port: "metrics" });
    expect(container().readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect(container().image).toMatch(/pod-identity-drift:/);
  });

  it("the config is valid and the Deployment matches it (port, config mount, grace, /report off)", () => {
    const { settings } = driftConfig(objects);
    expect(container().args).toEqual(["watch", "--config", "/etc/pod-identity-drift/drift.yaml"]);
    const listen = parseListen(settings.listen);
    expect(container().ports).toEqual([{ name: "metrics", containerPort: listen.port, protocol: "TCP" }]);
    expect(pod().terminationGracePeriodSeconds).toBeGreaterThan(settings.graceSeconds);
    expect(settings.report.enabled).toBe(false);
    const svc = only(objects, "Service");
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(deployment().spec.template.metadata.labels[k]).toBe(v);
  });

  it("a NetworkPolicy admits only the labelled monitoring namespace, only on the metrics port", () => {
    const np = only(objects, "NetworkPolicy");
    expect(np.spec.podSelector.matchLabels).toEqual(deployment().spec.selector.matchLabels);
    expect(np.spec.policyTypes).toEqual(["Ingress"]);
    expect(np.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { [METRICS_ACCESS_LABEL]: "true" } } }], ports: [{ port: "metrics", protocol: "TCP" }] },
    ]);
  });

  if (variant === "base") {
    it("base: one replica, SQLite history on a PersistentVolumeClaim, Recreate, no Kubernetes API token, no Lease RBAC", () => {
      const { config, settings } = driftConfig(objects);
      expect(deployment().spec.replicas).toBe(1);
      expect(deployment().spec.strategy).toEqual({ type: "Recreate" });
      expect(settings.leaderElection?.enabled ?? false).toBe(false);
      expect(config.history.url).toBeUndefined();
      const pvc = only(objects, "PersistentVolumeClaim");
      expect(pvc.spec.accessModes).toEqual(["ReadWriteOnce"]);
      const mount = container().volumeMounts.find((m: { mountPath: string }) => config.history.path.startsWith(`${m.mountPath}/`));
      expect(pod().volumes.find((v: { name: string }) => v.name === mount.name).persistentVolumeClaim).toEqual({ claimName: pvc.metadata.name });
      expect(pod().automountServiceAccountToken).toBe(false);
      expect(objects.filter((o) => o.kind === "Role" || o.kind === "RoleBinding")).toEqual([]);
    });
  } else {
    it("ha: two replicas, leader election, PostgreSQL URL from a Secret, a PodDisruptionBudget, the Role for exactly one Lease", () => {
      const { settings } = driftConfig(objects);
      expect(deployment().spec.replicas).toBeGreaterThanOrEqual(2);
      expect(settings.leaderElection?.enabled).toBe(true);
      expect(objects.filter((o) => o.kind === "PersistentVolumeClaim")).toEqual([]);
      const url = container().env.find((e: { name: string }) => e.name === "POD_IDENTITY_DRIFT_HISTORY_URL");
      expect(url.valueFrom.secretKeyRef).toEqual({ name: "pod-identity-drift-history", key: "url" });
      expect(pod().automountServiceAccountToken).toBe(true);
      const pdb = only(objects, "PodDisruptionBudget");
      expect(pdb.spec).toEqual({ minAvailable: 1, selector: { matchLabels: deployment().spec.selector.matchLabels } });
      expect(pod().volumes.every((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim === undefined)).toBe(true);
      const role = only(objects, "Role");
      expect(role.rules).toEqual([
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [settings.leaderElection!.leaseName], verbs: ["get", "update"] },
      ]);
      const binding = only(objects, "RoleBinding");
      const sa = only(objects, "ServiceAccount");
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace }]);
      expect(container().env.find((e: { name: string }) => e.name === "POD_NAME").valueFrom.fieldRef.fieldPath).toBe("metadata.name");
    });
  }
});

describe("Dockerfile", () => {
  const text = readFileSync(join(REPO, "Dockerfile"), "utf8");
  const lines = text.split("\n").filter((l) => !l.trim().startsWith("#"));

  it("is multi-stage, installs production dependencies only and runs as a non-root user", () => {
    const froms = lines.filter((l) => /^FROM /.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).not.toMatch(/npm (i|install)\b/);
    const lastFrom = lines
      .map((l, i) => (/^FROM /.test(l) ? i : -1))
      .filter((i) => i >= 0)
      .pop()!;
    const final = lines.slice(lastFrom);
    const user = final.find((l) => /^USER /.test(l));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
    expect(final.some((l) => /apt-get|g\+\+|python3/.test(l))).toBe(false);
    expect(final.join("\n")).toMatch(/COPY --from=deps .*node_modules/);
    expect(final.join("\n")).toMatch(/ENTRYPOINT \["node", "\/app\/bin\/pod-identity-drift\.js"\]/);
  });

  it("copies from bin/ only the drift CLI's launcher (run-ts.cjs is the synth app's)", () => {
    const copies = lines.filter((l) => /^COPY /.test(l) && /\bbin\b/.test(l));
    expect(copies.length).toBeGreaterThanOrEqual(1);
    for (const copy of copies) expect(copy).toMatch(/ bin\/pod-identity-drift\.js \.\/bin\/$/);
  });

  it("runs as the same uid as the Deployment", () => {
    const user = lines.filter((l) => /^USER /.test(l)).pop()!;
    expect(user.trim()).toBe(`USER ${container().securityContext.runAsUser}:${container().securityContext.runAsGroup}`);
  });
});

function container() {
  const deployment = loadAll(readFileSync(join(KUSTOMIZE, "base", "deployment.yaml"), "utf8"))[0] as Obj;
  return deployment.spec.template.spec.containers[0];
}
