import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { splitAddr } from '../../src/config/listen-addr.js';
import { deployTree, regauthArgs, regauthPod } from '../support/kubernetes-deploy.js';
import {
  contents,
  fileSource,
  find,
  materialize,
  matches,
  renderKustomization,
  type Container,
  type Deployment,
  type KubeObject,
} from '../support/kustomize.js';
import { requireBinaries } from '../support/require-binary.js';

/**
 * deploy/kubernetes rendered by the real `kubectl kustomize` (docs/kubernetes.md): the base, each
 * overlay and the prometheus component. The secrets an operator supplies are made with the
 * commands the docs give; what must agree between the objects, the server and the registry is
 * checked on the rendered output, and the config the pods mount passes `regauth check-config`.
 */

const port = (c: Container, name: string): number | undefined => c.ports?.find((p) => p.name === name)?.containerPort;
const listenPort = (addr: string): number => Number(splitAddr(addr)[1]);
/** Names every Deployment refers to in volumes and env, by kind. */
const references = (objects: KubeObject[]): Array<[string, string, string?]> =>
  objects
    .filter((o): o is Deployment => o.kind === 'Deployment')
    .flatMap((d) => [
      ...(d.spec.template.spec.volumes ?? []).flatMap((v): Array<[string, string, string?]> =>
        v.configMap
          ? [['ConfigMap', v.configMap.name]]
          : v.secret
            ? [['Secret', v.secret.secretName], ...(v.secret.items ?? []).map((i): [string, string, string] => ['Secret', v.secret!.secretName, i.key])]
            : [],
      ),
      ...d.spec.template.spec.containers.flatMap((c) =>
        (c.env ?? []).flatMap((e): Array<[string, string, string?]> => {
          const s = e.valueFrom?.secretKeyRef;
          const m = e.valueFrom?.configMapKeyRef;
          return s ? [['Secret', s.name, s.key]] : m ? [['ConfigMap', m.name, m.key]] : [];
        }),
      ),
    ]);

requireBinaries(['kubectl', 'openssl']).describeIf('Kubernetes manifests (deploy/kubernetes)', () => {
  let root: string;
  const rendered: Record<string, KubeObject[]> = {};
  beforeAll(() => {
    root = deployTree();
    for (const dir of ['base', 'overlays/redis', 'overlays/registry-example', 'with-prometheus']) rendered[dir] = renderKustomization(join(root, dir));
  });

  describe.each(['base', 'overlays/redis', 'overlays/registry-example', 'with-prometheus'])('%s', (dir) => {
    it('refers only to ConfigMaps, Secrets and keys that are rendered with it', () => {
      const objects = rendered[dir];
      for (const [kind, name, key] of references(objects)) {
        const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
        expect({ kind, name, found: object !== undefined }).toEqual({ kind, name, found: true });
        if (key !== undefined) expect(Object.keys(object!.data ?? {})).toContain(key);
      }
    });

    it('mounts a config that passes regauth check-config, every file it names coming from a mount', () => {
      const { pod, container, config, configFile, env, inPod } = regauthPod(rendered[dir]);
      const files = [...config.token.keys.flatMap((k) => [k.key, k.certificate ?? k.key]), ...(config.token.refresh?.secrets ?? [])].map(inPod);
      for (const file of files) expect({ file, source: fileSource(rendered[dir], pod, container, file)?.key }).toEqual({ file, source: expect.any(String) });
      const r = spawnSync(process.execPath, regauthArgs('check-config', configFile), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  });

  describe('base', () => {
    const base = () => regauthPod(rendered.base);

    it('runs two or more replicas spread across nodes, scaled on CPU from two up', () => {
      const { deployment, pod } = base();
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
      const labels = deployment.spec.template.metadata.labels;
      const byNode = pod.topologySpreadConstraints?.find((t) => t.topologyKey === 'kubernetes.io/hostname');
      expect(byNode?.whenUnsatisfiable).toBe('DoNotSchedule');
      expect(matches(byNode!.labelSelector.matchLabels, labels)).toBe(true);
      const hpa = find(rendered.base, 'HorizontalPodAutoscaler', 'regauth').spec as {
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
        metrics: Array<{ resource: { name: string } }>;
      };
      expect(hpa.scaleTargetRef).toEqual(expect.objectContaining({ kind: 'Deployment', name: deployment.metadata.name }));
      expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.metrics.map((m) => m.resource.name)).toEqual(['cpu']);
      const pdb = find(rendered.base, 'PodDisruptionBudget', 'regauth').spec as { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
      expect(matches(pdb.selector.matchLabels, labels)).toBe(true);
      expect(pdb.maxUnavailable).toBeLessThan(hpa.minReplicas);
    });

    it('probes /healthz and /readyz on the port the server listens on, and serves it and the metrics port through the Service', () => {
      const { container, config, deployment } = base();
      const http = port(container, 'http');
      expect(http).toBe(listenPort(config.server.addr));
      expect(port(container, 'metrics')).toBe(listenPort(config.metrics.addr!));
      expect(container.livenessProbe?.httpGet).toEqual({ path: `${config.server.path_prefix}/healthz`, port: 'http' });
      expect(container.startupProbe?.httpGet).toEqual({ path: `${config.server.path_prefix}/healthz`, port: 'http' });
      expect(container.readinessProbe?.httpGet).toEqual({ path: `${config.server.path_prefix}/readyz`, port: 'http' });
      const service = find(rendered.base, 'Service', 'regauth').spec as {
        selector: Record<string, string>;
        ports: Array<{ name: string; targetPort: string }>;
      };
      expect(matches(service.selector, deployment.spec.template.metadata.labels)).toBe(true);
      expect(service.ports.map((p) => [p.name, p.targetPort])).toEqual([
        ['http', 'http'],
        ['metrics', 'metrics'],
      ]);
    });

    it('drains: the preStop sleep, shutdown_delay and shutdown_timeout fit in the grace period', () => {
      const { container, pod, config } = base();
      const [sleep, seconds] = container.lifecycle?.preStop?.exec?.command ?? [];
      expect(sleep).toBe('sleep');
      expect(Number(seconds)).toBeGreaterThanOrEqual(3);
      expect(config.server.shutdown_delay).toBeGreaterThan(0);
      expect(Number(seconds) * 1000 + config.server.shutdown_delay + config.server.shutdown_timeout).toBeLessThan(pod.terminationGracePeriodSeconds! * 1000);
    });

    it('runs as non-root with a read-only root filesystem, no capabilities, seccomp RuntimeDefault and no API token', () => {
      const { container, pod } = base();
      expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }));
      expect(pod.securityContext?.runAsUser).not.toBe(0);
      expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(pod.automountServiceAccountToken).toBe(false);
    });

    it('asks for CPU and memory and bounds the heap below the memory limit', () => {
      const { container } = base();
      expect(container.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
      const limit = Number(/^(\d+)Mi$/.exec(container.resources?.limits?.memory ?? '')?.[1]);
      const heap = Number(/--max-old-space-size=(\d+)/.exec(container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')?.[1]);
      expect(heap).toBeGreaterThan(0);
      expect(heap).toBeLessThan(limit * 0.75);
    });

    it('serves one process per pod, and runs the image tag of this version', () => {
      const { container, config } = base();
      expect(config.server.workers).toBe(1);
      const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
      expect(container.image).toBe(`regauth:${version}`);
      expect(container.args).toEqual(['serve']);
    });

    it('lets token requests in from anywhere and metrics only from the monitoring namespace', () => {
      const policy = find(rendered.base, 'NetworkPolicy', 'regauth').spec as {
        podSelector: { matchLabels: Record<string, string> };
        ingress: Array<{ from?: Array<{ namespaceSelector?: { matchLabels: Record<string, string> } }>; ports: Array<{ port: string }> }>;
      };
      expect(matches(policy.podSelector.matchLabels, base().deployment.spec.template.metadata.labels)).toBe(true);
      expect(policy.ingress.find((r) => r.ports.some((p) => p.port === 'http'))?.from).toBeUndefined();
      const metrics = policy.ingress.filter((r) => r.ports.some((p) => p.port === 'metrics'));
      expect(metrics).toEqual([
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 'metrics' }] },
      ]);
    });
  });

  describe('overlays/redis', () => {
    it("keeps the base's config, adding only the store, with URL and password from the regauth-redis Secret", () => {
      const base = parse(regauthPod(rendered.base).configText) as Record<string, unknown>;
      const { store, ...rest } = parse(regauthPod(rendered['overlays/redis']).configText) as Record<string, unknown>;
      expect(rest).toEqual(base);
      expect(store).toEqual(expect.objectContaining({ type: 'redis', url: '${env:REGAUTH_REDIS_URL}', password: '${env:REGAUTH_REDIS_PASSWORD}' }));
    });

    it('points the store at the Redis Service, which asks for the same password and lets only regauth in', () => {
      const objects = rendered['overlays/redis'];
      const { config, deployment } = regauthPod(objects);
      if (config.store.type !== 'redis') throw new Error('expected the redis store');
      const url = new URL(config.store.url);
      const service = find(objects, 'Service', url.hostname).spec as { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string }> };
      const redis = find<Deployment>(objects, 'Deployment', 'regauth-redis');
      const container = redis.spec.template.spec.containers[0];
      expect(matches(service.selector, redis.spec.template.metadata.labels)).toBe(true);
      expect(service.ports.find((p) => p.port === Number(url.port))?.targetPort).toBe(container.ports?.[0].name);
      expect(container.args?.slice(0, 3)).toEqual(['redis-server', '--requirepass', '$(REDIS_PASSWORD)']);
      const env = materialize(objects, redis.spec.template.spec, container, mkdtempSync(join(tmpdir(), 'regauth-redis-')));
      expect(env.REDIS_PASSWORD).toBe(config.store.password);
      expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      const policy = find(objects, 'NetworkPolicy', 'regauth-redis').spec as {
        ingress: Array<{ from: Array<{ podSelector: { matchLabels: Record<string, string> } }> }>;
      };
      expect(policy.ingress.flatMap((r) => r.from.map((f) => matches(f.podSelector.matchLabels, deployment.spec.template.metadata.labels)))).toEqual([true]);
    });
  });

  describe('overlays/registry-example', () => {
    it("gives the registry regauth's issuer, one of its services, its realm and its certificate from the same Secret", () => {
      const objects = rendered['overlays/registry-example'];
      const { config, pod, container, inPod } = regauthPod(objects);
      const registry = find<Deployment>(objects, 'Deployment', 'registry');
      const registryPod = registry.spec.template.spec;
      const registryContainer = registryPod.containers[0];
      // distribution reads /etc/docker/registry/config.yml unless told otherwise.
      const registryConfig = fileSource(objects, registryPod, registryContainer, '/etc/docker/registry/config.yml');
      const token = (parse(contents(registryConfig!.object)[registryConfig!.key]) as { auth: { token: Record<string, string> } }).auth.token;
      expect(token.issuer).toBe(config.token.issuer);
      expect(config.services).toContain(token.service);

      const realm = new URL(token.realm);
      const service = find(objects, 'Service', 'regauth').spec as { ports: Array<{ name: string; port: number }> };
      expect(Number(realm.port)).toBe(service.ports.find((p) => p.name === 'http')?.port);
      expect(realm.pathname).toBe(`${config.server.path_prefix}/auth`);
      expect(realm.protocol).toBe(config.server.certificate ? 'https:' : 'http:');

      const theirs = fileSource(objects, registryPod, registryContainer, token.rootcertbundle);
      const ours = fileSource(objects, pod, container, inPod(config.token.keys[0].certificate!));
      expect(theirs && [theirs.object.metadata.name, theirs.key]).toEqual(ours && [ours.object.metadata.name, ours.key]);
      // The registry gets the certificate alone, never the private key next to it.
      expect(registryPod.volumes?.find((v) => v.secret)?.secret?.items?.map((i) => i.key)).toEqual([ours!.key]);
      expect(registryContainer.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    });
  });

  describe('components/prometheus', () => {
    it("scrapes the regauth Service's metrics port at /metrics", () => {
      const objects = rendered['with-prometheus'];
      const monitor = find(objects, 'ServiceMonitor', 'regauth').spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: Array<{ port: string; path: string }>;
      };
      const service = find(objects, 'Service', 'regauth');
      expect(matches(monitor.selector.matchLabels, service.metadata.labels)).toBe(true);
      expect(monitor.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
      expect((service.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name)).toContain('metrics');
    });
  });
});
