import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * Rendering deploy/kubernetes with the real `kubectl kustomize` and reading the objects back, with
 * just enough of the Kubernetes types for the checks in kubernetes-manifests.spec.ts.
 */

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
}

export interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
  readonly tcpSocket?: { readonly port: string | number };
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name: string; readonly key: string };
    readonly configMapKeyRef?: { readonly name: string; readonly key: string };
  };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly args?: string[];
  readonly env?: EnvVar[];
  readonly ports?: Array<{ readonly name: string; readonly containerPort: number }>;
  readonly startupProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly lifecycle?: { readonly preStop?: { readonly exec?: { readonly command: string[] } } };
  readonly resources?: { readonly requests?: Record<string, string>; readonly limits?: Record<string, string> };
  readonly securityContext?: {
    readonly allowPrivilegeEscalation?: boolean;
    readonly readOnlyRootFilesystem?: boolean;
    readonly capabilities?: { readonly drop?: string[] };
  };
  readonly volumeMounts?: Array<{ readonly name: string; readonly mountPath: string; readonly subPath?: string }>;
}

export interface Volume {
  readonly name: string;
  readonly configMap?: { readonly name: string; readonly items?: Array<{ key: string; path: string }> };
  readonly secret?: { readonly secretName: string; readonly items?: Array<{ key: string; path: string }>; readonly defaultMode?: number };
  readonly emptyDir?: Record<string, unknown>;
}

export interface PodSpec {
  readonly automountServiceAccountToken?: boolean;
  readonly terminationGracePeriodSeconds?: number;
  readonly securityContext?: { readonly runAsNonRoot?: boolean; readonly runAsUser?: number; readonly seccompProfile?: { readonly type: string } };
  readonly topologySpreadConstraints?: Array<{
    readonly topologyKey: string;
    readonly whenUnsatisfiable: string;
    readonly labelSelector: { readonly matchLabels: Record<string, string> };
  }>;
  readonly containers: Container[];
  readonly volumes?: Volume[];
}

export interface Deployment extends KubeObject {
  readonly spec: {
    readonly replicas: number;
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly template: { readonly metadata: { readonly labels: Record<string, string> }; readonly spec: PodSpec };
  };
}

export function renderKustomization(dir: string): KubeObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  return parseAllDocuments(out).map((doc) => doc.toJS() as KubeObject);
}

export function find<T extends KubeObject = KubeObject>(objects: readonly KubeObject[], kind: string, name: string): T {
  // Generated ConfigMaps and Secrets carry a content hash after their name.
  const found = objects.find((o) => o.kind === kind && (o.metadata.name === name || o.metadata.name.startsWith(`${name}-`)));
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found as T;
}

export const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** The data of a ConfigMap, or the decoded data of a Secret. */
export function contents(object: KubeObject): Record<string, string> {
  const decode = object.kind === 'Secret' ? (v: string) => Buffer.from(v, 'base64').toString('utf8') : (v: string) => v;
  return Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, decode(v)]));
}

/** Which ConfigMap or Secret key a file seen by `container` at `path` comes from. */
export function fileSource(objects: readonly KubeObject[], pod: PodSpec, container: Container, path: string): { object: KubeObject; key: string } | undefined {
  for (const mount of container.volumeMounts ?? []) {
    if (!path.startsWith(`${mount.mountPath}/`)) continue;
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    const ref = volume?.configMap
      ? { kind: 'ConfigMap', ...volume.configMap }
      : volume?.secret
        ? { kind: 'Secret', name: volume.secret.secretName, ...volume.secret }
        : null;
    if (!ref) return undefined;
    const rest = path.slice(mount.mountPath.length + 1);
    const key = ref.items ? ref.items.find((i) => i.path === rest)?.key : rest;
    const object = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
    return object && key !== undefined && key in (object.data ?? {}) ? { object, key } : undefined;
  }
  return undefined;
}

/**
 * Writes every ConfigMap and Secret file `container` mounts under `root`, as the pod would see
 * them (mode 0600, so the secrets are private here), and returns its environment with the
 * references resolved.
 */
export function materialize(objects: readonly KubeObject[], pod: PodSpec, container: Container, root: string): Record<string, string> {
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    const name = volume?.configMap?.name ?? volume?.secret?.secretName;
    if (!name) continue;
    const object = objects.find((o) => (o.kind === 'ConfigMap' || o.kind === 'Secret') && o.metadata.name === name)!;
    const items = volume?.configMap?.items ?? volume?.secret?.items;
    for (const [key, value] of Object.entries(contents(object))) {
      const path = items ? items.find((i) => i.key === key)?.path : key;
      if (path === undefined) continue;
      const file = join(root, mount.mountPath, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, value, { mode: 0o600 });
    }
  }
  return Object.fromEntries(
    (container.env ?? []).map((e) => {
      const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      if (!ref) return [e.name, e.value ?? ''];
      const object = objects.find((o) => (o.kind === 'ConfigMap' || o.kind === 'Secret') && o.metadata.name === ref.name)!;
      return [e.name, contents(object)[ref.key]];
    }),
  );
}
