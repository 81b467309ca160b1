import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { buildTinyOciImage, type TinyOciImage } from '../support/oci-image.js';
import { opensslKeyPair } from '../support/openssl-keys.js';
import { startRegistry, type RunningRegistry } from '../support/registry-process.js';
import { requireBinaries } from '../support/require-binary.js';
import { copyFromRegistry, copyToRegistry, inspectDigest, skopeo } from '../support/skopeo.js';
import { setTestFileTimeout } from '../support/test-timeout.js';

/** Proves the e2e harness itself against the real registry and skopeo, without regauth. */

setTestFileTimeout(60_000);
const { describeIf } = requireBinaries(['docker-registry', 'skopeo', 'openssl']);

describeIf('e2e harness', () => {
  let work: string;
  let image: TinyOciImage;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'regauth-harness-'));
    image = await buildTinyOciImage(join(work, 'image'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe('tiny OCI image', () => {
    it('is a layout skopeo reads, with the manifest digest we computed', async () => {
      const sut = await skopeo(['inspect', '--format', '{{.Digest}} {{.Os}}/{{.Architecture}} {{len .Layers}}', `oci:${image.layoutDir}:${image.tag}`]);
      expect(sut.stderr).toBe('');
      expect(sut.code).toBe(0);
      expect(sut.stdout.trim()).toBe(`${image.manifestDigest} linux/amd64 1`);
    });

    it('is reproducible: the same options give the same manifest digest', async () => {
      const again = await buildTinyOciImage(join(work, 'image-again'));
      expect(again.manifestDigest).toBe(image.manifestDigest);
    });

    it('differs when the file text differs', async () => {
      const other = await buildTinyOciImage(join(work, 'image-other'), { text: 'other\n' });
      expect(other.manifestDigest).not.toBe(image.manifestDigest);
    });
  });

  describe('skopeo runner', () => {
    it('resolves with a non-zero code instead of throwing when skopeo fails', async () => {
      const closedPort = await freePort();
      const sut = await inspectDigest(`127.0.0.1:${closedPort}/nothing/here:1`, null, { timeoutMs: 20_000 });
      expect(sut.code).not.toBe(0);
      expect(sut.digest).toBeUndefined();
      expect(sut.stderr).toMatch(/connection refused/i);
    });
  });

  describe('registry without auth', () => {
    let sut: RunningRegistry;
    beforeAll(async () => {
      sut = await startRegistry({ auth: false });
    });
    afterAll(() => sut?.stop());

    it('answers GET /v2/ with 200', async () => {
      const res = await fetch(`${sut.url}/v2/`);
      expect(res.status).toBe(200);
    });

    it('accepts a skopeo push and reports the image digest', async () => {
      const pushed = await copyToRegistry(image.layoutDir, `${sut.host}/harness/tiny:1`, null);
      expect(pushed.stderr).toBe('');
      expect(pushed.code).toBe(0);
      expect(pushed.digest).toBe(image.manifestDigest);
    });

    it('gives the same manifest digest when the image is copied back', async () => {
      await copyToRegistry(image.layoutDir, `${sut.host}/harness/roundtrip:1`, null);
      const pulled = await copyFromRegistry(`${sut.host}/harness/roundtrip:1`, join(work, 'pulled'), null);
      expect(pulled.code).toBe(0);
      expect(pulled.digest).toBe(image.manifestDigest);
    });
  });

  describe('registry with token auth', () => {
    const service = 'harness-registry';
    let realm: string;
    let sut: RunningRegistry;
    beforeAll(async () => {
      // Nothing listens on the realm: the registry only needs to name it in its challenge.
      realm = `http://127.0.0.1:${await freePort()}/auth`;
      const { certPath } = opensslKeyPair(join(work, 'keys'), 'ec');
      sut = await startRegistry({ realm, service, issuer: 'harness-issuer', rootCertBundlePath: certPath });
    });
    afterAll(() => sut?.stop());

    it('answers GET /v2/ without a token with 401 and a Bearer challenge naming realm and service', async () => {
      const res = await fetch(`${sut.url}/v2/`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${realm}",service="${service}"`);
    });

    it('asks for the repository scope on a pull without a token', async () => {
      const res = await fetch(`${sut.url}/v2/some/repo/tags/list`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('scope="repository:some/repo:pull"');
    });
  });

  describe('registry process lifecycle', () => {
    it('fails to start with the registry logs when its config is unusable', async () => {
      const sut = startRegistry({ realm: 'http://127.0.0.1:1/auth', service: 's', issuer: 'i', rootCertBundlePath: join(work, 'missing.pem') });
      await expect(sut).rejects.toThrow(/registry did not start: docker-registry exited[\s\S]*--- registry logs ---[\s\S]*missing\.pem/);
    });

    it('stop() ends the process and removes the temp dir it made', async () => {
      const sut = await startRegistry({ auth: false });
      expect(existsSync(sut.dir)).toBe(true);
      await sut.stop();
      await expect(fetch(`${sut.url}/v2/`)).rejects.toThrow();
      expect(existsSync(sut.dir)).toBe(false);
    });

    it('stop() leaves a caller-provided dir in place', async () => {
      const dir = mkdtempSync(join(work, 'own-'));
      const sut = await startRegistry({ auth: false, dir });
      await sut.stop();
      expect(existsSync(join(dir, 'registry.yml'))).toBe(true);
    });
  });
});
