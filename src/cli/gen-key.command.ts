import { pathTaken, replaceFile } from '../common/file-mode.js';
import { generateKeyAndCertificate } from '../token/index.js';
import { parseOptions, UsageError, type Command } from './command.js';

export const genKeyCommand: Command = {
  summary: 'generate a signing key and a self-signed certificate',
  usage: `Usage: regauth gen-key [--type ec|rsa] [--curve P-256|P-384|P-521] [--bits 2048|3072|4096]
                      [--cn NAME] [--days N] [--key FILE] [--cert FILE] [--force]

Writes a private key (PKCS#8 PEM, mode 0600) and a self-signed certificate for it. Put the key
in token.keys[].key, the certificate in token.keys[].certificate, and give the registry the
certificate as auth.token.rootcertbundle. Defaults: EC P-256 (ES256), CN "regauth", 365 days,
key.pem and cert.pem in the current folder. Existing files are kept unless --force, which
replaces them (a symbolic link is replaced, not followed) with mode 0600 for the key.`,
  async run(argv) {
    const { values } = parseOptions(argv, {
      type: { type: 'string', default: 'ec' },
      curve: { type: 'string', default: 'P-256' },
      bits: { type: 'string', default: '2048' },
      cn: { type: 'string', default: 'regauth' },
      days: { type: 'string', default: '365' },
      key: { type: 'string', default: 'key.pem' },
      cert: { type: 'string', default: 'cert.pem' },
      force: { type: 'boolean', default: false },
    });
    const type = values.type;
    if (type !== 'ec' && type !== 'rsa') throw new UsageError('--type must be ec or rsa');
    const curve = values.curve;
    if (curve !== 'P-256' && curve !== 'P-384' && curve !== 'P-521') throw new UsageError('--curve must be P-256, P-384 or P-521');
    const bits = Number(values.bits);
    if (bits !== 2048 && bits !== 3072 && bits !== 4096) throw new UsageError('--bits must be 2048, 3072 or 4096');
    const days = Number(values.days);
    if (!Number.isInteger(days) || days < 1) throw new UsageError('--days must be a positive integer');
    for (const file of [values.key, values.cert]) {
      if (pathTaken(file) && !values.force) throw new UsageError(`${file} exists; use --force to overwrite`);
    }
    const pair = await generateKeyAndCertificate({ type, curve, bits, commonName: values.cn, days });
    await replaceFile(values.key, pair.keyPem, 0o600);
    await replaceFile(values.cert, pair.certPem, 0o644);
    process.stdout.write(`wrote ${values.key} (${type === 'ec' ? curve : `RSA ${bits}`}) and ${values.cert} (valid ${days} days)\n`);
    return 0;
  },
};
