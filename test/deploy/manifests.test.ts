/**
 * Every Kubernetes manifest s3gate ships, as users apply it: the Kustomize overlays rendered by `kubectl
 * kustomize`, and the Helm chart rendered with its defaults and with every optional part on. Each object is
 * checked against the Kubernetes schemas (kubernetes-models, offline) including unknown fields, then against
 * s3gate's own rules: probes, security context, resources, graceful-shutdown timing, known settings, secrets only
 * in Secrets. The alert rules and the Grafana dashboard queries are checked by `promtool check rules`, and the
 * metrics they use against what s3gate exports.
 *
 * Debian has no `helm` package, so the chart is rendered by helm-render.ts; where `helm` is installed all the same,
 * its output is compared with `helm template`. Where kubectl or promtool is missing, the tests that need it are
 * skipped with a NOTICE.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { SETTINGS } from "../../src/config.js";
import { createMetrics } from "../../src/observe/metrics.js";
import { validateObject, type K8sObject } from "./k8s-schema.js";
import { helmTemplate, loadChart, parseForTest } from "./helm-render.js";

const DEPLOY = join(import.meta.dirname, "..", "..", "deploy");
const CHART_DIR = join(DEPLOY, "helm", "s3gate");
const chart = loadChart(CHART_DIR);
const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { encoding: "utf8" }).status === 0;
const HAS_HELM = has("helm", ["version"]);
const HAS_KUBECTL = has("kubectl", ["version", "--client"]);
const HAS_PROMTOOL = has("promtool", ["--version"]);
if (!HAS_HELM) {
  console.warn(
    "NOTICE: no `helm` package exists in Debian, so the chart is rendered by the test's own template renderer " +
      "(test/deploy/helm-render.ts); the comparison with `helm template` is skipped: helm not found.",
  );
}
if (!HAS_KUBECTL) {
  console.warn(
    "NOTICE: the Kustomize overlays are not rendered and their tests are skipped: kubectl not found " +
      "(no Debian package provides it).",
  );
}
if (!HAS_PROMTOOL) {
  console.warn(
    "NOTICE: the PromQL checks of the alert rules and the dashboard are skipped: promtool not found " +
      "(Debian package prometheus; .ci/run installs it).",
  );
}

/** Metrics s3gate does not export yet, that the dashboard or the alert rules already use. */
const PENDING_METRICS = new Set<string>([]);

{
  const exportedNow = new Set(
    createMetrics()
      .registry.getMetricsAsArray()
      .map((m) => m.name),
  );
  const pending = [...PENDING_METRICS].filter((m) => !exportedNow.has(m));
  if (pending.length > 0) {
    console.warn(
      `NOTICE: dashboard panels and alert rules use metrics not exported yet: ${pending.join(", ")}`,
    );
  }
}

/** The Prometheus Operator's API, as a cluster with the operator (or `helm template --api-versions`) has it. */
const OPERATOR_API = ["monitoring.coreos.com/v1"];
/** The one value the chart requires: where s3gate's credentials come from. */
const HELM_REQUIRED = { existingSecret: "s3gate-credentials" };

const ALL_HELM_OPTIONS = {
  existingSecret: "",
  secret: {
    S3GATE_ROOT_ACCESS_KEY_ID: "AKIAEXAMPLEROOTKEY01",
    S3GATE_ROOT_SECRET_ACCESS_KEY: "x".repeat(40),
    S3GATE_MASTER_KEY: Buffer.alloc(32).toString("base64"),
  },
  tls: { enabled: true, secretName: "s3gate-tls" },
  ingress: { enabled: true, tls: [{ secretName: "s3gate-ingress-tls", hosts: ["s3.example.com"] }] },
  grafanaDashboard: { enabled: true },
  serviceMonitor: { labels: { release: "kube-prometheus-stack" } },
  prometheusRule: { labels: { release: "kube-prometheus-stack" } },
  podAnnotations: { "example.com/team": "storage" },
  podLabels: { tier: "edge" },
  imagePullSecrets: [{ name: "registry" }],
  nodeSelector: { "kubernetes.io/os": "linux" },
  tolerations: [{ key: "dedicated", operator: "Equal", value: "edge", effect: "NoSchedule" }],
  config: { S3GATE_BASE_DOMAINS: "s3.example.com", S3GATE_TRUSTED_PROXIES: "10.0.0.0/8" },
  autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 12, targetCPUUtilizationPercentage: 60 },
  networkPolicy: {
    enabled: true,
    s3From: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
    adminFrom: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
  },
  extraEnv: [{ name: "NODE_EXTRA_CA_CERTS", value: "/etc/s3gate/ca/ca.crt" }],
  extraVolumes: [{ name: "ca", configMap: { name: "storage-ca" } }],
  extraVolumeMounts: [{ name: "ca", mountPath: "/etc/s3gate/ca", readOnly: true }],
};

/** `kubectl kustomize DIR`: the objects that `kubectl apply -k DIR` applies. */
function kustomize(dir: string): K8sObject[] {
  const r = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr || String(r.error)}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** The overlays rendered, or nothing where kubectl is missing (their tests are skipped then). */
const overlay = (name: string): K8sObject[] =>
  HAS_KUBECTL ? kustomize(join(DEPLOY, "kubernetes", "overlays", name)) : [];
const STANDALONE = overlay("standalone");
const SIDECAR = overlay("sidecar");
const HELM_DEFAULTS = helmTemplate(chart, HELM_REQUIRED, undefined, OPERATOR_API).objects as K8sObject[];
const RENDERED: [string, K8sObject[]][] = [
  ["kustomize standalone", STANDALONE],
  ["kustomize sidecar", SIDECAR],
  ["helm defaults", HELM_DEFAULTS],
  [
    "helm every option",
    helmTemplate(chart, ALL_HELM_OPTIONS, undefined, OPERATOR_API).objects as K8sObject[],
  ],
  [
    "helm minimal",
    helmTemplate(
      chart,
      {
        existingSecret: "mine",
        serviceMonitor: { enabled: false },
        prometheusRule: { enabled: false },
        podDisruptionBudget: { enabled: false },
        serviceAccount: { create: false },
        topologySpread: false,
      },
      { name: "edge", namespace: "storage" },
    ).objects as K8sObject[],
  ],
  [
    "helm on OpenShift (its own UID), without the Prometheus Operator",
    helmTemplate(chart, {
      ...HELM_REQUIRED,
      podSecurityContext: { runAsUser: null, runAsGroup: null, fsGroup: null },
    }).objects as K8sObject[],
  ],
];

type Obj = Record<string, unknown>;
const workloads = (objs: K8sObject[]): K8sObject[] =>
  objs.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
const podSpec = (w: K8sObject): Obj => ((w.spec as Obj).template as Obj).spec as Obj;
const s3gateContainer = (w: K8sObject): Obj =>
  (podSpec(w).containers as Obj[]).find((c) => c.name === "s3gate")!;
const configMaps = (objs: K8sObject[]): Map<string, Record<string, string>> =>
  new Map(
    objs
      .filter((o) => o.kind === "ConfigMap")
      .map((o) => [o.metadata.name, (o.data ?? {}) as Record<string, string>]),
  );

/** A Kustomize rendering's tests are skipped where kubectl is missing. */
const needsKubectl = (name: string): boolean => name.startsWith("kustomize") && !HAS_KUBECTL;

describe.each(RENDERED)("%s", (name, objects) => {
  const test = needsKubectl(name) ? it.skip : it;

  test("validates against the Kubernetes schemas, unknown fields included", () => {
    expect(objects.length).toBeGreaterThanOrEqual(3);
    const problems = objects.flatMap((o) => validateObject(o));
    expect(problems).toEqual([]);
  });

  test("runs s3gate probed, confined, bounded and with time to drain", () => {
    const ws = workloads(objects);
    expect(ws).toHaveLength(1);
    for (const w of ws) {
      const pod = podSpec(w);
      const c = s3gateContainer(w);
      expect(c.image).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(c.args).toEqual(["serve"]);
      expect((c.livenessProbe as Obj).httpGet).toEqual({ path: "/healthz", port: "admin" });
      expect((c.readinessProbe as Obj).httpGet).toEqual({ path: "/readyz", port: "admin" });
      expect((c.ports as Obj[]).map((p) => [p.name, p.containerPort])).toEqual([
        ["s3", 8080],
        ["admin", 8081],
      ]);
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      if (!name.includes("OpenShift")) expect(pod.securityContext).toMatchObject({ runAsUser: 1000 });
      expect(pod.automountServiceAccountToken).toBe(false);
      const resources = c.resources as { requests: Obj; limits: Obj };
      expect(Object.keys(resources.requests).sort()).toEqual(["cpu", "memory"]);
      expect(resources.limits.memory).toBeDefined();
      // The mounts the read-only root filesystem needs.
      expect((c.volumeMounts as Obj[]).map((m) => m.mountPath)).toEqual(expect.arrayContaining(["/tmp"]));
      // Kubernetes must not kill s3gate before it has drained.
      const env = Object.assign(
        {},
        ...(c.envFrom as Obj[])
          .filter((e) => e.configMapRef !== undefined)
          .map((e) => configMaps(objects).get((e.configMapRef as Obj).name as string) ?? {}),
      ) as Record<string, string>;
      const drain = Number(env.S3GATE_DRAIN_TIMEOUT_MS ?? 25000) + Number(env.S3GATE_SHUTDOWN_DELAY_MS ?? 0);
      expect((pod.terminationGracePeriodSeconds as number) * 1000).toBeGreaterThan(drain + 5000);
      expect(Number(env.S3GATE_SHUTDOWN_DELAY_MS)).toBeGreaterThan(0);
      expect((c.envFrom as Obj[]).some((e) => e.secretRef !== undefined)).toBe(true);
    }
  });

  test("sets only settings s3gate knows, and secrets only through Secrets", () => {
    const known = new Map(SETTINGS.map((s) => [s.env, s]));
    for (const [name, data] of configMaps(objects)) {
      if (name.endsWith("-dashboard")) continue;
      for (const key of Object.keys(data)) {
        expect(known.has(key), `${name}: ${key} is not a setting`).toBe(true);
        expect(known.get(key)!.secret ?? false, `${name}: ${key} is a secret`).toBe(false);
      }
    }
    for (const s of objects.filter((o) => o.kind === "Secret")) {
      for (const key of Object.keys((s.data ?? {}) as Obj)) expect(known.has(key), key).toBe(true);
    }
  });

  test("selects its own pods: every Service, PDB and ServiceMonitor selector matches", () => {
    const podLabels = workloads(objects).map((w) => ((w.spec as Obj).template as Obj).metadata as Obj);
    const matches = (sel: Obj | undefined): boolean =>
      sel !== undefined &&
      podLabels.some((m) => Object.entries(sel).every(([k, v]) => (m.labels as Obj)[k] === v));
    for (const o of objects) {
      if (o.kind === "Service") expect(matches((o.spec as Obj).selector as Obj), o.metadata.name).toBe(true);
      if (o.kind === "PodDisruptionBudget") {
        expect(matches(((o.spec as Obj).selector as Obj).matchLabels as Obj)).toBe(true);
      }
      if (o.kind === "ServiceMonitor") {
        const sel = ((o.spec as Obj).selector as Obj).matchLabels as Obj;
        const services = objects.filter(
          (s) =>
            s.kind === "Service" &&
            Object.entries(sel).every(([k, v]) => ((s.metadata as unknown as Obj).labels as Obj)[k] === v),
        );
        expect(services.length, "ServiceMonitor selects no Service").toBeGreaterThan(0);
        for (const s of services) {
          expect(((s.spec as Obj).ports as Obj[]).map((p) => p.name)).toContain("admin");
        }
      }
    }
  });
});

/** S3GATE_WORKERS from the container's CPU limit (the downward API rounds it up to whole CPUs). */
const WORKERS_FROM_CPU_LIMIT = {
  name: "S3GATE_WORKERS",
  valueFrom: { resourceFieldRef: { containerName: "s3gate", resource: "limits.cpu", divisor: "1" } },
};

describe("the offline checks themselves", () => {
  it("catch what kubectl --validate=strict and the schemas would refuse", () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { a: "b" } };
    expect(validateObject(cm)).toEqual([]);
    expect(validateObject({ ...cm, dataa: {} })).toEqual(["v1/ConfigMap x: unknown field .dataa"]);
    const deployment = workloads(HELM_DEFAULTS)[0]!;
    const typo = structuredClone(deployment);
    (s3gateContainer(typo).securityContext as Obj).readOnlyRootFilesytem = true;
    expect(validateObject(typo).join()).toContain(
      "unknown field .spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem",
    );
    const wrongType = structuredClone(deployment);
    (wrongType.spec as Obj).replicas = "3";
    expect(validateObject(wrongType).join()).toMatch(/replicas must be integer/);
    expect(validateObject({ ...cm, apiVersion: "v9", kind: "Gadget" })[0]).toMatch(/no schema/);
  });

  it("render Go templates as helm does, and refuse what they do not support", () => {
    const text = (src: string, values: Obj = {}): string => {
      const c = { ...chart, templates: new Map([["t.yaml", parseForTest(src)]]), values };
      return helmTemplate(c, {}).files.get("t.yaml")!;
    };
    expect(text("a:\n  {{- if .Values.x }}\n  b: 1\n  {{- end }}\nc: 2\n", { x: true })).toBe(
      "a:\n  b: 1\nc: 2\n",
    );
    expect(text('a: {{ .Values.x | default "d" | quote }}')).toBe('a: "d"');
    expect(text("{{- range $k, $v := .Values.m }}\n{{ $k }}={{ $v }}{{ end }}", { m: { b: 2, a: 1 } })).toBe(
      "\na=1\nb=2",
    );
    expect(text("x:{{- toYaml .Values.m | nindent 2 }}", { m: { b: [1], a: "s" } })).toBe(
      "x:\n  a: s\n  b:\n    - 1",
    );
    expect(() => text("{{ .Values.x | upper }}", { x: "a" })).toThrow(/unsupported function upper/);
    expect(() => text('{{ template "x" . }}')).toThrow(/unsupported/);
  });
});

describe("the standalone deployment", () => {
  const replicated = (objs: K8sObject[]): void => {
    const w = workloads(objs)[0]!;
    expect((w.spec as Obj).replicas).toBeGreaterThanOrEqual(2);
    const cm = [...configMaps(objs).values()][0]!;
    expect(cm.S3GATE_STORE).toBe("s3");
    expect(cm.S3GATE_STORE_BUCKET).toBeTruthy();
    const keys = (podSpec(w).topologySpreadConstraints as Obj[]).map((t) => t.topologyKey);
    expect(keys).toEqual(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    expect(objs.some((o) => o.kind === "PodDisruptionBudget")).toBe(true);
    expect(objs.some((o) => o.kind === "ServiceMonitor")).toBe(true);
  };
  const title = "runs several replicas sharing the S3-backed store, spread across zones and nodes";

  it(`${title} (helm defaults)`, () => replicated(HELM_DEFAULTS));
  it.skipIf(!HAS_KUBECTL)(`${title} (kustomize standalone)`, () => replicated(STANDALONE));
});

describe.skipIf(!HAS_KUBECTL)("the standalone overlay (kubectl kustomize)", () => {
  it("routes path-style and virtual-hosted-style hosts through the Ingress", () => {
    const ingress = STANDALONE.find((o) => o.kind === "Ingress")!;
    const hosts = ((ingress.spec as Obj).rules as Obj[]).map((r) => r.host);
    const domain = configMaps(STANDALONE).get("s3gate-config")!.S3GATE_BASE_DOMAINS!;
    expect(hosts).toEqual([domain, `*.${domain}`]);
  });

  it("is the same s3gate container in Kustomize and Helm", () => {
    const strip = (c: Obj): Obj => ({ ...c, image: undefined, envFrom: undefined });
    expect(strip(s3gateContainer(workloads(HELM_DEFAULTS)[0]!))).toEqual(
      strip(s3gateContainer(workloads(STANDALONE)[0]!)),
    );
    const a = podSpec(workloads(HELM_DEFAULTS)[0]!);
    const b = podSpec(workloads(STANDALONE)[0]!);
    for (const k of ["securityContext", "terminationGracePeriodSeconds", "volumes"])
      expect(a[k], k).toEqual(b[k]);
  });

  it("sets S3GATE_WORKERS from the container's CPU limit, in Kustomize (both overlays) and Helm", () => {
    for (const [name, rendered] of [
      ["standalone", STANDALONE],
      ["sidecar", SIDECAR],
      ["helm", HELM_DEFAULTS],
    ] as const) {
      const c = s3gateContainer(workloads(rendered)[0]!);
      expect((c.env as Obj[] | undefined)?.[0], name).toEqual(WORKERS_FROM_CPU_LIMIT);
      expect((c.resources as { limits?: { cpu?: string } }).limits?.cpu, name).toBeDefined();
    }
  });

  it("sets the image the kustomization names", () => {
    expect(s3gateContainer(workloads(STANDALONE)[0]!).image).toBe("s3gate:0.1.0");
  });
});

describe.skipIf(!HAS_KUBECTL)("the sidecar example (kubectl kustomize)", () => {
  it("puts s3gate in front of the storage on the pod network, with the storage outliving s3gate", () => {
    const w = workloads(SIDECAR)[0]!;
    const storage = (podSpec(w).initContainers as Obj[])[0]!;
    expect(storage.restartPolicy).toBe("Always");
    expect(configMaps(SIDECAR).get("s3gate-config")!.S3GATE_BACKEND_URL).toBe(
      `http://127.0.0.1:${(storage.ports as Obj[])[0]!.containerPort}`,
    );
    const service = SIDECAR.find((o) => o.kind === "Service")!;
    expect(((service.spec as Obj).ports as Obj[]).map((p) => p.targetPort)).toEqual(["s3", "admin"]);
    const policy = SIDECAR.find((o) => o.kind === "NetworkPolicy")!;
    expect((((policy.spec as Obj).ingress as Obj[])[0]!.ports as Obj[]).map((p) => p.port)).toEqual([
      "s3",
      "admin",
    ]);
  });
});

describe("Helm chart", () => {
  it("renders TLS from a mounted Secret directory, a created Secret, and the dashboard ConfigMap", () => {
    const { objects, files } = helmTemplate(chart, ALL_HELM_OPTIONS);
    const w = workloads(objects as K8sObject[])[0]!;
    const cm = configMaps(objects as K8sObject[]).get("s3gate")!;
    expect(cm.S3GATE_TLS_CERT_FILE).toBe("/etc/s3gate/tls/tls.crt");
    const mount = (s3gateContainer(w).volumeMounts as Obj[]).find((m) => m.name === "tls")!;
    expect(mount).toEqual({ name: "tls", mountPath: "/etc/s3gate/tls", readOnly: true });
    expect(mount.subPath).toBeUndefined(); // subPath mounts never see a renewed certificate
    const secret = objects.find((o) => o.kind === "Secret")! as Obj & { data: Record<string, string> };
    expect(Buffer.from(secret.data.S3GATE_ROOT_SECRET_ACCESS_KEY!, "base64").toString()).toBe("x".repeat(40));
    const dashboard = configMaps(objects as K8sObject[]).get("s3gate-dashboard")!;
    expect(JSON.parse(dashboard["s3gate-dashboard.json"]!)).toEqual(
      JSON.parse(readFileSync(join(DEPLOY, "grafana", "s3gate-dashboard.json"), "utf8")),
    );
    expect(files.get("NOTES.txt")).toContain("kubectl -n default rollout status deployment/s3gate");
  });

  it("names resources after the release and rolls the pods when the configuration changes", () => {
    const a = helmTemplate(chart, HELM_REQUIRED, { name: "edge", namespace: "x" }).objects as K8sObject[];
    expect(a.map((o) => o.metadata.name)).toContain("edge-s3gate");
    const checksum = (objs: K8sObject[]): unknown =>
      (((workloads(objs)[0]!.spec as Obj).template as Obj).metadata as { annotations: Obj }).annotations[
        "checksum/config"
      ];
    const b = helmTemplate(
      chart,
      { ...HELM_REQUIRED, config: { S3GATE_LOG_LEVEL: "debug" } },
      undefined,
      OPERATOR_API,
    ).objects as K8sObject[];
    expect(checksum(b)).not.toEqual(checksum(HELM_DEFAULTS));
    expect(checksum(b)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses TLS without a Secret name", () => {
    expect(() => helmTemplate(chart, { ...HELM_REQUIRED, tls: { enabled: true } })).toThrow(
      /tls.secretName is required/,
    );
  });

  it("refuses to render without a source for s3gate's credentials, saying what to set", () => {
    expect(() => helmTemplate(chart)).toThrow(
      /fail: s3gate needs its credentials: set existingSecret .* or give them in secret/,
    );
    expect(() =>
      helmTemplate(chart, { secret: { S3GATE_ROOT_ACCESS_KEY_ID: "AKIAEXAMPLEROOTKEY01" } }),
    ).not.toThrow();
  });

  it("renders the ServiceMonitor and PrometheusRule only where the Prometheus Operator's API exists", () => {
    const kinds = (apis: string[]): string[] =>
      (helmTemplate(chart, HELM_REQUIRED, undefined, apis).objects as K8sObject[]).map((o) => o.kind);
    expect(kinds(OPERATOR_API)).toEqual(expect.arrayContaining(["ServiceMonitor", "PrometheusRule"]));
    expect(kinds([])).not.toContain("ServiceMonitor");
    expect(kinds([])).not.toContain("PrometheusRule");
    const notes = (apis: string[]) =>
      helmTemplate(chart, HELM_REQUIRED, undefined, apis).files.get("NOTES.txt")!;
    expect(notes([])).toContain("no monitoring.coreos.com/v1 API");
    expect(notes(OPERATOR_API)).not.toContain("no monitoring.coreos.com/v1 API");
  });

  it("adds an HPA (leaving the replica count to it), a NetworkPolicy, extra env and volumes", () => {
    const objs = helmTemplate(chart, ALL_HELM_OPTIONS, undefined, OPERATOR_API).objects as K8sObject[];
    const w = workloads(objs)[0]!;
    expect((w.spec as Obj).replicas).toBeUndefined();
    const hpa = objs.find((o) => o.kind === "HorizontalPodAutoscaler")!;
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: w.metadata.name },
      minReplicas: 3,
      maxReplicas: 12,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } },
        },
      ],
    });
    const policy = objs.find((o) => o.kind === "NetworkPolicy")!;
    const rules = (policy.spec as Obj).ingress as Obj[];
    expect(rules.map((r) => (r.ports as Obj[])[0]!.port)).toEqual(["s3", "admin"]);
    expect(rules[1]!.from).toEqual(ALL_HELM_OPTIONS.networkPolicy.adminFrom);
    const c = s3gateContainer(w);
    expect(c.env).toEqual([WORKERS_FROM_CPU_LIMIT, ...ALL_HELM_OPTIONS.extraEnv]);
    expect(c.volumeMounts as Obj[]).toContainEqual(ALL_HELM_OPTIONS.extraVolumeMounts[0]);
    expect(podSpec(w).volumes as Obj[]).toContainEqual(ALL_HELM_OPTIONS.extraVolumes[0]);
    // Without them, none of it is rendered.
    expect(HELM_DEFAULTS.map((o) => o.kind)).not.toContain("HorizontalPodAutoscaler");
    expect(HELM_DEFAULTS.map((o) => o.kind)).not.toContain("NetworkPolicy");
    expect((workloads(HELM_DEFAULTS)[0]!.spec as Obj).replicas).toBe(3);
  });

  it("serves the web console on a port of its own only when console.enabled", () => {
    const consoleFrom = [{ podSelector: { matchLabels: { role: "operator" } } }];
    const options = {
      ...ALL_HELM_OPTIONS,
      console: { enabled: true },
      networkPolicy: { ...ALL_HELM_OPTIONS.networkPolicy, consoleFrom },
    };
    const objs = helmTemplate(chart, options, undefined, OPERATOR_API).objects as K8sObject[];
    const config = objs.find((o) => o.kind === "ConfigMap" && (o.data as Obj | undefined)?.S3GATE_LISTEN)!;
    expect((config.data as Obj).S3GATE_CONSOLE_LISTEN).toBe("0.0.0.0:8082");
    expect(s3gateContainer(workloads(objs)[0]!).ports).toContainEqual({
      name: "console",
      containerPort: 8082,
    });
    const service = objs.find((o) => o.kind === "Service")!;
    expect((service.spec as Obj).ports as Obj[]).toContainEqual({
      name: "console",
      port: 8082,
      targetPort: "console",
    });
    const rules = (objs.find((o) => o.kind === "NetworkPolicy")!.spec as Obj).ingress as Obj[];
    expect(rules[2]).toEqual({ ports: [{ port: "console", protocol: "TCP" }], from: consoleFrom });
    const defaults = HELM_DEFAULTS.find(
      (o) => o.kind === "ConfigMap" && (o.data as Obj | undefined)?.S3GATE_LISTEN,
    )!;
    expect((defaults.data as Obj).S3GATE_CONSOLE_LISTEN).toBeUndefined();
    expect(JSON.stringify(HELM_DEFAULTS)).not.toContain('"console"');
  });

  it("lets OpenShift assign the UID: the pod security context without runAsUser, runAsGroup and fsGroup", () => {
    const objs = RENDERED.find(([n]) => n.includes("OpenShift"))![1];
    const pod = podSpec(workloads(objs)[0]!);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
  });

  it("documents every value in values.yaml with a comment", () => {
    const lines = readFileSync(join(CHART_DIR, "values.yaml"), "utf8").split("\n");
    const topLevel = lines.flatMap((l, i) => (/^[a-zA-Z]\w*:/.test(l) ? [i] : []));
    for (const i of topLevel) {
      const block = lines.slice(i, topLevel.find((j) => j > i) ?? lines.length).join("\n");
      const name = lines[i]!.split(":")[0]!;
      const commented = /^#/.test(lines[i - 1] ?? "") || /\n\s+# --/.test(block);
      const generic = ["podAnnotations", "podLabels", "nodeSelector", "tolerations", "affinity", "image"];
      expect(commented || generic.includes(name), `values.yaml: ${name} is undocumented`).toBe(true);
    }
  });

  it.skipIf(!HAS_HELM)("renders exactly what `helm template` renders", () => {
    const dir = mkdtempSync(join(tmpdir(), "s3gate-helm-"));
    try {
      const valuesFile = join(dir, "values.json");
      writeFileSync(valuesFile, JSON.stringify(ALL_HELM_OPTIONS));
      const r = spawnSync(
        "helm",
        ["template", "s3gate", CHART_DIR, "-f", valuesFile, "--api-versions", OPERATOR_API[0]!],
        { encoding: "utf8" },
      );
      expect(r.status, r.stderr).toBe(0);
      const real = parseAllDocuments(r.stdout)
        .map((d) => d.toJS() as Obj | null)
        .filter((o) => o !== null);
      const ours = helmTemplate(chart, ALL_HELM_OPTIONS, undefined, OPERATOR_API).objects;
      const key = (o: Obj): string => `${String(o.kind)}/${String((o.metadata as Obj).name)}`;
      expect(new Map(real.map((o) => [key(o), o]))).toEqual(new Map(ours.map((o) => [key(o), o])));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The series names /metrics exposes, read from its `# TYPE` lines (histograms add their three series). */
const exported = async (): Promise<Set<string>> => {
  const names = new Set<string>();
  const text = await createMetrics().registry.metrics();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === "histogram") for (const suffix of ["_bucket", "_count", "_sum"]) names.add(name! + suffix);
  }
  return names;
};

/** PromQL keywords, and the clauses whose parentheses hold label names rather than expressions. */
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan"]);
const LABEL_CLAUSES = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;

/**
 * The metric names a query selects: the identifiers left once strings, label matchers, ranges and label clauses
 * are taken out, less function names (followed by `(`) and keywords. Whether the query is valid PromQL is
 * promtool's to say.
 */
const metricNames = (query: string): string[] =>
  [
    ...query
      .replace(/"(?:[^"\\]|\\.)*"/g, '""')
      .replace(/\{[^}]*\}/g, " ")
      .replace(/\[[^\]]*\]/g, " ")
      .replace(LABEL_CLAUSES, " ")
      .matchAll(/(?<![\w:$.])[A-Za-z_:][\w:]*(?![\w:]|\s*\()/g),
  ]
    .map((m) => m[0])
    .filter((w) => !KEYWORDS.has(w.toLowerCase()));

/** A Grafana query as Prometheus receives it: Grafana's interval variables substituted. */
const grafanaToPromQL = (query: string): string =>
  query.replace(/\$__(?:rate_interval|interval|range)\b/g, "5m");

/** `promtool check rules` on rule groups written to a rules file of their own. */
function promtoolCheckRules(groups: unknown[]): SpawnSyncReturns<string> {
  const dir = mkdtempSync(join(tmpdir(), "s3gate-promtool-"));
  try {
    const file = join(dir, "rules.yaml");
    writeFileSync(file, JSON.stringify({ groups }));
    return spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the metric-name and promtool checks themselves", () => {
  it("find the metrics a query selects, and no function, label or keyword", () => {
    expect(
      metricNames(
        "histogram_quantile(0.99, sum by (le, operation) " +
          '(rate(s3gate_a_bucket{job=~"$job", x="y{z}"}[$__rate_interval])))' +
          " / on (job) group_left (pod) max without (instance) (s3gate_b) > bool 1e3 and s3gate_c offset 5m" +
          " unless min(s3gate_d:ratio) - time() < 7 * 86400",
      ),
    ).toEqual(["s3gate_a_bucket", "s3gate_b", "s3gate_c", "s3gate_d:ratio"]);
    expect(metricNames("vector(1)")).toEqual([]);
  });

  it.skipIf(!HAS_PROMTOOL)("refuse through promtool what Prometheus would refuse", () => {
    const check = (expr: string): SpawnSyncReturns<string> =>
      promtoolCheckRules([{ name: "t", rules: [{ record: "t:r", expr }] }]);
    const ok = check("sum by (job) (rate(s3gate_errors_total[5m]))");
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain("SUCCESS: 1 rules found");
    for (const bad of [
      "sum(rate(s3gate_errors_total[5m])",
      "rat(s3gate_errors_total[5m])",
      'rate(s3gate_errors_total{code=~"("}[5m])',
      "rate(s3gate_errors_total)",
    ]) {
      const r = check(bad);
      expect(r.status, bad).not.toBe(0);
      expect(r.stdout + r.stderr, bad).toMatch(/t:r|parse|error/i);
    }
  });
});

const RULES_FILE = join(DEPLOY, "prometheus", "s3gate.rules.yaml");

describe("alert rules", () => {
  const plain = parse(readFileSync(RULES_FILE, "utf8")) as {
    groups: {
      name: string;
      rules: { alert: string; expr: string; for: string; labels: Obj; annotations: Obj }[];
    }[];
  };
  const rules = plain.groups.flatMap((g) => g.rules);

  it("are the same in the rules file and the Helm chart", () => {
    const helm = HELM_DEFAULTS.find((o) => o.kind === "PrometheusRule")!;
    expect(helm.spec).toEqual(plain);
    expect(readFileSync(join(CHART_DIR, "files", "s3gate.rules.yaml"), "utf8")).toBe(
      readFileSync(RULES_FILE, "utf8"),
    );
  });

  it.skipIf(!HAS_KUBECTL)("are the same in the rules file and the Kustomize base", () => {
    const base = kustomize(join(DEPLOY, "kubernetes", "monitoring")).find(
      (o) => o.kind === "PrometheusRule",
    )!;
    expect(base.spec).toEqual(plain);
    expect(STANDALONE.find((o) => o.kind === "PrometheusRule")!.spec).toEqual(plain);
  });

  it("cover the obvious failures, over metrics s3gate exports", async () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(["S3GateBackendDown", "S3GateAuthFailureSpike", "S3GateStoreUnreachable"]),
    );
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    const metrics = await exported();
    for (const r of rules) {
      expect(r.alert).toMatch(/^S3Gate[A-Z]\w+$/);
      expect(r.labels.severity, r.alert).toMatch(/^(critical|warning|info)$/);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      expect(r.annotations.description, r.alert).toBeTruthy();
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      const used = metricNames(r.expr);
      expect(used.length, `${r.alert}: ${r.expr}`).toBeGreaterThan(0);
      for (const m of used) {
        expect(m, r.alert).toMatch(/^s3gate_/);
        expect(metrics.has(m) || PENDING_METRICS.has(m), `${r.alert}: ${m} is not exported`).toBe(true);
      }
    }
  });

  it.skipIf(!HAS_PROMTOOL)("pass promtool check rules", () => {
    const r = spawnSync("promtool", ["check", "rules", RULES_FILE], { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});

describe("Grafana dashboard", () => {
  const dashboard = JSON.parse(readFileSync(join(DEPLOY, "grafana", "s3gate-dashboard.json"), "utf8")) as {
    uid: string;
    title: string;
    schemaVersion: number;
    templating: { list: { name: string; type: string; query: unknown }[] };
    panels: {
      id: number;
      type: string;
      title: string;
      gridPos: { x: number; y: number; w: number; h: number };
      datasource?: { uid: string };
      targets?: { refId: string; expr: string }[];
    }[];
  };
  const panels = dashboard.panels.filter((p) => p.type !== "row");
  /** The expression of each `label_values(expr, label)` variable query. */
  const variableQueries = dashboard.templating.list
    .filter((x) => x.type === "query")
    .map((v) => {
      const q = (v.query as { query: string }).query;
      const m = /^label_values\((.+), (\w+)\)$/.exec(q);
      expect(m, q).not.toBeNull();
      return { name: v.name, expr: m![1]! };
    });

  it("is a dashboard with a data-source variable and unique panel ids inside the 24-column grid", () => {
    expect(dashboard).toMatchObject({ uid: "s3gate", title: "s3gate" });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(["datasource", "namespace", "job"]);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    expect(readFileSync(join(CHART_DIR, "files", "s3gate-dashboard.json"), "utf8")).toBe(
      readFileSync(join(DEPLOY, "grafana", "s3gate-dashboard.json"), "utf8"),
    );
  });

  it("queries s3gate's metrics in every panel", async () => {
    const metrics = await exported();
    expect(panels.length).toBeGreaterThanOrEqual(15);
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe("${datasource}");
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        const used = metricNames(t.expr);
        expect(used.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const m of used) {
          expect(m, p.title).toMatch(/^s3gate_/);
          expect(metrics.has(m) || PENDING_METRICS.has(m), `${p.title}: ${m} is not exported`).toBe(true);
        }
        expect(t.expr, p.title).toContain('namespace=~"$namespace", job=~"$job"');
      }
    }
    expect(variableQueries.map((v) => v.name)).toEqual(["namespace", "job"]);
    for (const v of variableQueries) {
      const used = metricNames(v.expr);
      expect(used.length, v.expr).toBeGreaterThan(0);
      expect(used.every((x) => metrics.has(x))).toBe(true);
    }
  });

  it.skipIf(!HAS_PROMTOOL)("queries in valid PromQL, as promtool checks it", () => {
    const records = [
      ...panels.flatMap((p) =>
        p.targets!.map((t) => ({
          record: `dashboard:panel_${p.id}_${t.refId}`,
          expr: grafanaToPromQL(t.expr),
        })),
      ),
      ...variableQueries.map((v) => ({
        record: `dashboard:variable_${v.name}`,
        expr: grafanaToPromQL(v.expr),
      })),
    ];
    const r = promtoolCheckRules([{ name: "s3gate-dashboard", rules: records }]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${records.length} rules found`);
  });

  it("covers what operators look for", () => {
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join("\n");
    for (const topic of [
      "request rate by operation",
      "latency",
      "decisions",
      "authentication failures",
      "upstream latency",
      "upstream errors",
      "cache hit ratio",
      "in flight",
    ]) {
      expect(titles).toContain(topic);
    }
  });
});
