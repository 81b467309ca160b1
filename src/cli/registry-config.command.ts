import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfigFile } from '../config/config-loader.js';
import { keySetOptions } from '../config/key-options.js';
import { splitAddr } from '../config/listen-addr.js';
import { loadKeySet } from '../token/index.js';
import { configPath, parseOptions, UsageError, type Command } from './command.js';
import { realmFor, registrySnippet } from '../token/registry-snippet.js';

export const registryConfigCommand: Command = {
  summary: 'print the registry auth.token snippet and write its certificate bundle',
  usage: `Usage: regauth registry-config [--config FILE] [--bundle FILE] [--realm URL] [--service NAME]

Writes the certificates of every configured key (rotation: old and new) to --bundle
(default rootcertbundle.pem) and prints the registry's auth.token section. --realm overrides
the URL clients use to reach this server (default: derived from server.addr).`,
  async run(argv) {
    const { values } = parseOptions(argv, {
      config: { type: 'string' },
      bundle: { type: 'string', default: 'rootcertbundle.pem' },
      realm: { type: 'string' },
      service: { type: 'string' },
    });
    const loaded = await loadConfigFile(await configPath(values.config));
    const { token, server, services } = loaded.config;
    const keys = await loadKeySet(keySetOptions(token, loaded.baseDir));
    if (!keys.bundlePem) throw new UsageError('no key has a certificate: configure token.keys[].certificate (see regauth gen-key)');
    await writeFile(values.bundle, keys.bundlePem);
    const [host, port] = splitAddr(server.addr);
    process.stdout.write(
      `${registrySnippet({
        realm: values.realm ?? realmFor(server.certificate ? 'https' : 'http', host, port, server.path_prefix),
        service: values.service ?? services[0] ?? 'registry',
        issuer: token.issuer,
        bundlePath: resolve(values.bundle),
      })}\n`,
    );
    return 0;
  },
};
