// The Kubernetes base and the Dockerfile: they parse, they hold the security settings, and they agree with
// each other and with the daemon (config valid, ports, paths, the Lease the Role allows).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAll } from "js-yaml";
import { parseDriftConfig } from "../../drift/config/load";
import { parseListen } from "../../drift/daemon/http";
import { resolveSettings } from "../../drift/daemon/run";

const REPO = join(__dirname, "..", "..");
const BASE = join(REPO, "deploy", "kubernetes");

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

function load(): Obj[] {
  const out: Obj[] = [];
  for (const f of readdirSync(BASE).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")) {
    // loadAll throws on a syntax error, naming the line.
    for (const doc of loadAll(readFileSync(join(BASE, f), "utf8"))) out.push(doc as Obj);
  }
  return out;
}

const objects = load();
const one = (kind: string) => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};

function hasKubectl(): boolean {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("deploy/kubernetes", () => {
  const deployment = one("Deployment");
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const configMap = one("ConfigMap");
  const config = parseDriftConfig(loadAll(configMap.data["drift.yaml"])[0], "configmap drift.yaml", "/");
  const settings = resolveSettings(config, {});

  it("has the objects of the base, all in one namespace, listed in kustomization.yaml", () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(["ConfigMap", "Deployment", "Namespace", "Role", "RoleBinding", "Service", "ServiceAccount"]);
    const ns = one("Namespace").metadata.name;
    expect(objects.filter((o) => o.kind !== "Namespace").every((o) => o.metadata.namespace === ns)).toBe(true);
    const k = loadAll(readFileSync(join(BASE, "kustomization.yaml"), "utf8"))[0] as Record<string, any>;
    expect(k.namespace).toBe(ns);
    expect([...k.resources].sort()).toEqual(readdirSync(BASE).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort());
  });

  it("the namespace enforces the restricted Pod Security profile", () => {
    expect(one("Namespace").metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
  });

  it("the pod runs non-root with a read-only root filesystem, no privilege escalation, no capabilities, RuntimeDefault seccomp", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
  });

  it("has requests, limits and probes on the daemon's endpoints", () => {
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits).toMatchObject({ memory: expect.any(String) });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/livez", port: "metrics" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect(container.startupProbe.httpGet).toEqual({ path: "/livez", port: "metrics" });
  });

  it("the config in the ConfigMap is valid, and the Deployment matches it (port, history path, writable dirs, grace)", () => {
    expect(container.args).toEqual(["watch", "--config", "/etc/pod-identity-drift/drift.yaml"]);
    const mount = (path: string) => container.volumeMounts.find((m: { mountPath: string }) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
    expect(mount("/etc/pod-identity-drift/drift.yaml")).toMatchObject({ name: "config", readOnly: true });
    expect(pod.volumes.find((v: { name: string }) => v.name === "config").configMap.name).toBe(configMap.metadata.name);
    expect(mount(config.history.path)?.readOnly ?? false).toBe(false);
    expect(mount("/tmp")?.readOnly ?? false).toBe(false);
    const listen = parseListen(settings.listen);
    expect(listen.host).toBe("0.0.0.0");
    expect(container.ports).toEqual([{ name: "metrics", containerPort: listen.port, protocol: "TCP" }]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(settings.graceSeconds);
    expect(container.env.find((e: { name: string }) => e.name === "POD_NAMESPACE").valueFrom.fieldRef.fieldPath).toBe("metadata.namespace");
    expect(container.env.find((e: { name: string }) => e.name === "POD_NAME").valueFrom.fieldRef.fieldPath).toBe("metadata.name");
  });

  it("with several replicas, leader election is on; the Role allows exactly that one Lease (create cannot be named)", () => {
    expect(deployment.spec.replicas).toBeGreaterThan(1);
    expect(settings.leaderElection?.enabled).toBe(true);
    const role = one("Role");
    expect(role.rules).toEqual([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [settings.leaderElection!.leaseName], verbs: ["get", "update"] },
    ]);
    const binding = one("RoleBinding");
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
    const sa = one("ServiceAccount");
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace }]);
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
  });

  it("the Service selects the pods and targets the metrics port", () => {
    const svc = one("Service");
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(deployment.spec.template.metadata.labels[k]).toBe(v);
    expect(svc.spec.ports).toEqual([{ name: "metrics", port: 9464, targetPort: "metrics", protocol: "TCP" }]);
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
  });

  it.skipIf(!hasKubectl())("kustomize renders the base", () => {
    const rendered = execFileSync("kubectl", ["kustomize", BASE], { encoding: "utf8" });
    const docs = loadAll(rendered).map((d) => d as Obj);
    expect(docs.map((d) => d.kind).sort()).toEqual(["ConfigMap", "Deployment", "Namespace", "Role", "RoleBinding", "Service", "ServiceAccount"]);
    const d = docs.find((x) => x.kind === "Deployment")!;
    expect(d.spec.template.spec.containers[0].image).toMatch(/pod-identity-drift:/);
  });
});

describe("Dockerfile", () => {
  const text = readFileSync(join(REPO, "Dockerfile"), "utf8");
  const lines = text.split("\n").filter((l) => !l.trim().startsWith("#"));

  it("is multi-stage, installs production dependencies only and runs as a non-root user", () => {
    const froms = lines.filter((l) => /^FROM /.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).not.toMatch(/npm (i|install)\b/);
    const lastFrom = lines.map((l, i) => (/^FROM /.test(l) ? i : -1)).filter((i) => i >= 0).pop()!;
    const final = lines.slice(lastFrom);
    const user = final.find((l) => /^USER /.test(l));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
    expect(final.some((l) => /apt-get|g\+\+|python3/.test(l))).toBe(false);
    expect(final.join("\n")).toMatch(/COPY --from=deps .*node_modules/);
    expect(final.join("\n")).toMatch(/ENTRYPOINT \["node", "\/app\/bin\/pod-identity-drift\.js"\]/);
  });

  it("runs as the same uid as the Deployment", () => {
    const user = lines.filter((l) => /^USER /.test(l)).pop()!;
    expect(user.trim()).toBe(`USER ${container().securityContext.runAsUser}:${container().securityContext.runAsGroup}`);
  });
});

function container() {
  return objects.find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0];
}
