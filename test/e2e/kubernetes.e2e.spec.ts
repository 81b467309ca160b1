import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startAuthStack, type AuthStack } from '../support/auth-stack.js';
import { ADMIN_PASSWORD, deployTree, regauthPod } from '../support/kubernetes-deploy.js';
import { contents, fileSource, find, materialize, renderKustomization, type Deployment } from '../support/kustomize.js';
import { buildTinyOciImage, type TinyOciImage } from '../support/oci-image.js';
import { requireBinaries } from '../support/require-binary.js';
import { copyFromRegistry, copyToRegistry } from '../support/skopeo.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/**
 * deploy/kubernetes/overlays/registry-example, rendered by `kubectl kustomize` and run for real
 * without a cluster: regauth serves the config and keys its pod would mount, the real registry
 * takes its token settings and certificate from its own rendered ConfigMap and Secret mount, and
 * skopeo pushes as the admin whose hash went into the Secret. Only the addresses change: the
 * realm names the loopback port regauth got instead of the port-forward.
 */

setTestFileTimeout(120_000);

requireBinaries(['kubectl', 'openssl', 'docker-registry', 'skopeo']).describeIf('the registry-example overlay, run by the real registry and skopeo', () => {
  let stack: AuthStack;
  let image: TinyOciImage;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'regauth-k8s-e2e-'));
    const objects = renderKustomization(join(deployTree(), 'overlays/registry-example'));
    // The example's config reads no ${env:…}, so the pod's environment is not needed here.
    const { configFile } = regauthPod(objects);

    const registry = find<Deployment>(objects, 'Deployment', 'registry').spec.template.spec;
    const container = registry.containers[0];
    const mounted = mkdtempSync(join(tmpdir(), 'regauth-registry-pod-'));
    materialize(objects, registry, container, mounted);
    const source = fileSource(objects, registry, container, '/etc/docker/registry/config.yml')!;
    const { token } = (parse(contents(source.object)[source.key]) as { auth: { token: Record<string, string> } }).auth;

    stack = await startAuthStack({ configFile, service: token.service, issuer: token.issuer, rootCertBundlePath: join(mounted, token.rootcertbundle) });
    image = await buildTinyOciImage(join(work, 'image'));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('lets the admin from the Secret push and pull back', async () => {
    const ref = `${stack.registry.host}/team/app:1`;
    expect(await copyToRegistry(image.layoutDir, ref, { user: 'admin', password: ADMIN_PASSWORD })).toMatchObject({ code: 0, digest: image.manifestDigest });
    expect(await copyFromRegistry(ref, join(work, 'pulled'), { user: 'admin', password: ADMIN_PASSWORD })).toMatchObject({
      code: 0,
      digest: image.manifestDigest,
    });
  });

  it('refuses a wrong password', async () => {
    const sut = await copyToRegistry(image.layoutDir, `${stack.registry.host}/team/app:2`, { user: 'admin', password: 'not-the-admin-password' });
    expect(sut.code).not.toBe(0);
    expect(sut.stderr).toMatch(/unauthorized|authentication required|invalid username\/password/i);
  });
});
