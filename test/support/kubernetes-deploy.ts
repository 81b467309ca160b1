import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/config-loader.js';
import { contents, find, materialize, type Deployment, type KubeObject } from './kustomize.js';

/**
 * deploy/kubernetes as an operator prepares it (docs/kubernetes.md, "Secrets"), and the regauth
 * pod of a rendering turned into files on this machine, for the manifest checks and the e2e test.
 */

export const ADMIN_PASSWORD = 'k8s-admin-password';

/** The built CLI (npm test builds first). */
export const regauthArgs = (...args: string[]): string[] => ['bin/regauth.js', ...args];

/** A copy of deploy/kubernetes with its secrets/ folders filled with the documented commands. */
export function deployTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'regauth-k8s-'));
  cpSync('deploy/kubernetes', root, { recursive: true });
  const secrets = join(root, 'base/secrets');
  execFileSync(process.execPath, regauthArgs('gen-key', '--key', join(secrets, 'regauth.key'), '--cert', join(secrets, 'regauth.crt')));
  writeFileSync(join(secrets, 'refresh.secret'), execFileSync('openssl', ['rand', '-base64', '32']));
  writeFileSync(join(secrets, 'admin.bcrypt'), execFileSync(process.execPath, regauthArgs('hash-password'), { input: ADMIN_PASSWORD }));
  writeFileSync(join(root, 'overlays/redis/secrets/redis.password'), execFileSync('openssl', ['rand', '-hex', '24']));
  // The component added to the base the way docs/kubernetes.md shows for an overlay.
  mkdirSync(join(root, 'with-prometheus'));
  writeFileSync(join(root, 'with-prometheus/kustomization.yaml'), 'resources: [../base]\ncomponents: [../components/prometheus]\n');
  return root;
}

/**
 * The regauth pod of a rendering, with the files it mounts written under a folder of their own
 * and its config parsed from there. Absolute paths in the config point into the pod's mounts, so
 * they are moved under that folder; `inPod` maps them back.
 */
export function regauthPod(objects: readonly KubeObject[]) {
  const deployment = find<Deployment>(objects, 'Deployment', 'regauth');
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === 'regauth')!;
  const mounted = mkdtempSync(join(tmpdir(), 'regauth-pod-'));
  const env = materialize(objects, pod, container, mounted);
  const configText = contents(find(objects, 'ConfigMap', 'regauth-config'))['config.yml'];
  const fromObjects = (container.volumeMounts ?? []).filter((m) => pod.volumes?.some((v) => v.name === m.name && (v.configMap || v.secret)));
  const escaped = fromObjects.map((m) => m.mountPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  // One pass, so a path already moved is never matched again by a shorter mount path.
  const text = configText.replace(new RegExp(`(^|[\\s"'\\[:])(${escaped.join('|')})/`, 'g'), `$1${mounted}$2/`);
  const configFile = join(mounted, 'config.yml');
  writeFileSync(configFile, text);
  const { config } = parseConfigText(text, configFile, env);
  const inPod = (path: string): string => (path.startsWith(`${mounted}/`) ? path.slice(mounted.length) : path);
  return { deployment, pod, container, config, configText, configFile, env, inPod };
}
