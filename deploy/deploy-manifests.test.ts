/**
 * The deployment files, checked as far as possible without a cluster or a Docker engine:
 * every manifest and every combination of the kustomize components against the API
 * schemas, the Compose file against the Compose Specification, and the promises that tie
 * them to the workers (probes, grace period, queue names, GPU requests).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { distributedQueues } from '../cli/distributed-topology';
import { composeSchemaErrors, parseObjects, renderKustomization, validateObject, type KubeObject } from '../test/manifest-validation';

const KUBE = path.join(__dirname, 'kubernetes');
const VARIANTS: string[][] = [[], ['keda'], ['gpu'], ['keda', 'gpu'], ['gpu', 'keda']];
/** The Deployments of the default layout: the frame extractor and the face cropper run as one decode group. */
const STAGES = ['ingest', 'decode', 'detector-workers', 'aggregator'];

interface Container {
  name: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
}
type DeploymentObject = KubeObject & {
  spec: { template: { metadata: { labels: Record<string, string> }; spec: { terminationGracePeriodSeconds?: number; containers: Container[] } } };
};

const byKind = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);
const config = (objects: KubeObject[]) => (byKind(objects, 'ConfigMap')[0] as unknown as { data: Record<string, string> }).data;

describe('Kubernetes manifests', () => {
  // The split layout's files (not in the base) are checked too: they stay supported.
  const files = [
    ...readdirSync(KUBE).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml'),
    ...readdirSync(path.join(KUBE, 'split')).map((f) => `split/${f}`),
  ];
  it.each(files)('%s is valid against the Kubernetes API schema', (file) => {
    const objects = parseObjects(readFileSync(path.join(KUBE, file), 'utf8'));
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  it.each(['keda/trigger-authentication.yaml', 'keda/scaled-objects.yaml'])('%s is valid against the KEDA schema', (file) => {
    const objects = parseObjects(readFileSync(path.join(KUBE, file), 'utf8'));
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  it('rejects what the API server would reject (the validator is not a no-op)', () => {
    const [deployment] = parseObjects(readFileSync(path.join(KUBE, 'aggregator.yaml'), 'utf8')) as DeploymentObject[];
    const container = deployment!.spec.template.spec.containers[0]!;
    (container.readinessProbe!.httpGet as { port?: unknown }).port = undefined;
    (container.ports![0] as { containerPort: unknown }).containerPort = 'metrics';
    const errors = validateObject(deployment!);
    expect(errors.join('\n')).toMatch(/readinessProbe\/httpGet must have required property port/);
    expect(errors.join('\n')).toMatch(/containerPort must be integer/);
  });

  describe.each(VARIANTS.map((v) => [v.length === 0 ? 'base' : `base + ${v.join(' + ')}`, v] as const))('kustomize %s', (_name, components) => {
    let objects: KubeObject[];
    beforeAll(() => {
      objects = renderKustomization(KUBE, components);
    });

    it('renders objects that are all valid against their schemas', () => {
      expect(objects.length).toBeGreaterThan(10);
      expect(objects.flatMap(validateObject)).toEqual([]);
    });

    it('probes /healthz and /readyz on the metrics port, and gives SIGTERM more than the shutdown grace', () => {
      const data = config(objects);
      const graceMs = Number(data.DEEPSIFT_SHUTDOWN_GRACE_MS);
      const deployments = byKind(objects, 'Deployment') as DeploymentObject[];
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(STAGES.map((s) => `deepsift-${s}`).sort());
      for (const d of deployments) {
        const worker = d.spec.template.spec.containers.find((c) => c.name === 'worker')!;
        const metricsPort = worker.ports?.find((p) => p.name === 'metrics');
        expect({ d: d.metadata.name, port: metricsPort?.containerPort }).toEqual({ d: d.metadata.name, port: Number(data.DEEPSIFT_METRICS_PORT) });
        expect(worker.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
        expect(worker.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
        // The worker drains for the grace time, then needs a moment to close its connections.
        expect(d.spec.template.spec.terminationGracePeriodSeconds! * 1000).toBeGreaterThanOrEqual(graceMs + 15_000);
      }
    });

    it('has a PodDisruptionBudget for every stage, selecting its pods', () => {
      const budgets = byKind(objects, 'PodDisruptionBudget') as Array<KubeObject & { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } }>;
      for (const d of byKind(objects, 'Deployment') as DeploymentObject[]) {
        const labels = d.spec.template.metadata.labels;
        const matching = budgets.filter((b) => Object.entries(b.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
        expect({ d: d.metadata.name, budgets: matching.length, maxUnavailable: matching[0]?.spec.maxUnavailable }).toEqual({ d: d.metadata.name, budgets: 1, maxUnavailable: 1 });
      }
    });

    it('scales each Deployment with at most one autoscaler, on queues the workers declare', () => {
      const data = config(objects);
      const deployments = new Set(byKind(objects, 'Deployment').map((d) => d.metadata.name));
      const hpaTargets = byKind(objects, 'HorizontalPodAutoscaler').map((h) => (h as unknown as { spec: { scaleTargetRef: { name: string } } }).spec.scaleTargetRef.name);
      const scaled = byKind(objects, 'ScaledObject') as Array<KubeObject & { spec: { scaleTargetRef: { name: string }; triggers: Array<{ type: string; metadata: { queueName: string }; authenticationRef: { name: string } }> } }>;
      const targets = [...hpaTargets, ...scaled.map((s) => s.spec.scaleTargetRef.name)];
      expect(new Set(targets).size).toBe(targets.length);
      for (const t of targets) expect(deployments).toContain(t);
      const declared = new Set(distributedQueues(data.DEEPSIFT_DETECTORS!.split(',')).map((q) => `${data.DEEPSIFT_NAMESPACE}.${q.name}`));
      const auths = new Set(byKind(objects, 'TriggerAuthentication').map((a) => a.metadata.name));
      for (const s of scaled) {
        for (const trigger of s.spec.triggers) {
          expect(trigger.type).toBe('rabbitmq');
          expect(declared).toContain(trigger.metadata.queueName);
          expect(auths).toContain(trigger.authenticationRef.name);
        }
      }
      if (components.includes('keda')) {
        expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(['deepsift-decode', 'deepsift-detector-workers']);
        const detectorQueues = scaled.find((s) => s.metadata.name === 'deepsift-detector-workers')!.spec.triggers.map((t) => t.metadata.queueName);
        expect(detectorQueues.sort()).toEqual(data.DEEPSIFT_DETECTORS!.split(',').map((d) => `${data.DEEPSIFT_NAMESPACE}.detector.${d}`).sort());
      } else {
        expect(hpaTargets.length).toBeGreaterThan(0); // the CPU fallback
      }
    });

    it('requests a GPU for the detector workers exactly when the gpu component is on', () => {
      const detectors = (byKind(objects, 'Deployment') as DeploymentObject[]).find((d) => d.metadata.name === 'deepsift-detector-workers')!;
      const { resources } = detectors.spec.template.spec.containers.find((c) => c.name === 'worker')!;
      const gpu = components.includes('gpu') ? 1 : undefined;
      expect({ request: resources?.requests?.['nvidia.com/gpu'], limit: resources?.limits?.['nvidia.com/gpu'] }).toEqual({ request: gpu, limit: gpu });
    });
  });
});

describe('Compose file', () => {
  const file = path.join(__dirname, 'compose', 'docker-compose.yml');
  const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as {
    services: Record<string, { healthcheck?: { test?: string[]; disable?: boolean }; stop_grace_period?: string; environment?: Record<string, string>; depends_on?: string[] | Record<string, unknown>; volumes?: string[]; command?: string[] }>;
    volumes: Record<string, unknown>;
  };

  it('is valid against the Compose Specification schema', () => {
    expect(composeSchemaErrors(compose)).toEqual([]);
  });

  it('rejects a misspelt key (the schema check is not a no-op)', () => {
    const broken = structuredClone(compose);
    (broken.services.ingest!.healthcheck as Record<string, unknown>).intervall = '5s';
    expect(composeSchemaErrors(broken)).toContain('/services/ingest/healthcheck must NOT have additional properties (intervall)');
  });

  it('refers only to services and volumes it defines', () => {
    const problems: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      const dependencies = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      for (const dependency of dependencies) if (!compose.services[dependency]) problems.push(`${name} depends on ${dependency}`);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/') && !(source in compose.volumes)) problems.push(`${name} mounts undeclared volume ${source}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('checks worker health on /readyz and stops them after the shutdown grace', () => {
    // The default layout: the frame extractor and the face cropper run as one decode group.
    const services: Record<string, string> = { ingest: 'ingest', decode: 'frame-extractor,face-cropper', 'detector-workers': 'detector-workers', aggregator: 'aggregator' };
    for (const [name, stage] of Object.entries(services)) {
      const service = compose.services[name]!;
      expect(service.command?.slice(0, 2)).toEqual(['worker', stage]);
      expect(service.healthcheck?.test?.join(' ')).toContain(`http://127.0.0.1:${service.environment!.DEEPSIFT_METRICS_PORT}/readyz`);
      const stopSeconds = Number(/^(\d+)s$/.exec(service.stop_grace_period!)?.[1]);
      expect(stopSeconds * 1000).toBeGreaterThanOrEqual(Number(service.environment!.DEEPSIFT_SHUTDOWN_GRACE_MS) + 15_000);
    }
  });
});

describe('Grafana provisioning', () => {
  it('points every panel and variable of every dashboard at the provisioned Prometheus', () => {
    const provisioned = parse(readFileSync(path.join(__dirname, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string; type: string }> };
    const uids = new Set(provisioned.datasources.map((d) => `${d.type}/${d.uid}`));
    const dashboards = readdirSync(path.join(__dirname, 'grafana', 'dashboards')).filter((f) => f.endsWith('.json'));
    const problems: string[] = [];
    for (const file of dashboards) {
      const dashboard = JSON.parse(readFileSync(path.join(__dirname, 'grafana', 'dashboards', file), 'utf8')) as {
        panels: Array<{ title: string; type: string; datasource?: { type: string; uid: string }; targets?: Array<{ datasource?: { type: string; uid: string } }> }>;
        templating: { list: Array<{ name: string; datasource?: { type: string; uid: string } }> };
      };
      const refs = [
        ...dashboard.panels.filter((p) => p.type !== 'row').flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)].map((d) => [`${file} / ${p.title}`, d] as const)),
        ...dashboard.templating.list.map((v) => [`${file} / $${v.name}`, v.datasource] as const),
      ];
      for (const [where, ref] of refs) if (!ref || !uids.has(`${ref.type}/${ref.uid}`)) problems.push(`${where}: ${JSON.stringify(ref)}`);
    }
    expect(problems).toEqual([]);
  });
});
