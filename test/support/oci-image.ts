import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ustar } from './ustar.js';

/**
 * A real, minimal OCI image layout (one layer holding one text file), built offline so the
 * e2e tests have something genuine to push through the registry.
 */

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface TinyOciImage {
  /** Pass as `oci:<layoutDir>:<tag>` to skopeo. */
  readonly layoutDir: string;
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layerDigest: string;
  readonly configDigest: string;
}

export interface TinyImageOptions {
  /** Content of the one file; different text gives a different image (and digests). */
  readonly text?: string;
  readonly tag?: string;
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Writes the layout into `dir` (created if missing). Same options, same digests. */
export async function buildTinyOciImage(dir: string, opts: TinyImageOptions = {}): Promise<TinyOciImage> {
  const tag = opts.tag ?? 'latest';
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const putBlob = (data: Buffer): { digest: string; size: number } => {
    const digest = sha256(data);
    writeFileSync(join(blobs, digest.slice('sha256:'.length)), data);
    return { digest, size: data.length };
  };

  const tar = ustar([{ name: 'hello.txt', content: Buffer.from(opts.text ?? 'hello from regauth e2e\n') }]);
  // gzip with a fixed header (Node writes mtime 0), so the layer digest is reproducible.
  const layer = putBlob(gzipSync(tar, { level: 9 }));
  const config = putBlob(
    json({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
      history: [{ created_by: 'regauth test/support/oci-image.ts' }],
    }),
  );
  const manifest = putBlob(
    json({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, ...config },
      layers: [{ mediaType: OCI_LAYER_GZIP, ...layer }],
    }),
  );

  writeFileSync(join(dir, 'oci-layout'), json({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    json({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: OCI_MANIFEST, ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
  return { layoutDir: dir, tag, manifestDigest: manifest.digest, layerDigest: layer.digest, configDigest: config.digest };
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
