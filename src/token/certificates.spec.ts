import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateDateWarnings, parseCertificatePem } from './certificates.js';

const DAY_MS = 86_400_000;
let dir: string;
let rootPem: string;
let otherPem: string;

function selfSigned(name: string): string {
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  execFileSync('openssl', ['req', '-x509', '-key', key, '-subj', `/CN=${name}`, '-days', '90', '-out', join(dir, name)]);
  return readFileSync(join(dir, name), 'utf8');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'regauth-certs-'));
  rootPem = selfSigned('root');
  otherPem = selfSigned('other');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(parseCertificatePem.name, () => {
  it('reads every certificate of a file in file order', () => {
    const sut = parseCertificatePem(`${rootPem}${otherPem}`);

    expect(sut.ok && sut.certificates.map((c) => c.subject)).toEqual(['CN=root', 'CN=other']);
  });

  it('ignores other PEM blocks around the certificates', () => {
    const sut = parseCertificatePem(`-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${rootPem}`);

    expect(sut.ok && sut.certificates).toHaveLength(1);
  });

  it('refuses a file without a certificate', () => {
    expect(parseCertificatePem('not a certificate')).toEqual({ ok: false, message: 'no PEM CERTIFICATE block found' });
  });

  it('names the certificate that cannot be parsed', () => {
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

    expect(parseCertificatePem(`${rootPem}${broken}`)).toEqual({
      ok: false,
      message: 'certificate 2 of the file cannot be parsed',
    });
  });
});

describe(certificateDateWarnings.name, () => {
  const root = () => new X509Certificate(rootPem);
  const notAfter = () => Date.parse(root().validTo);

  it('says nothing while the certificate is valid for more than 30 days', () => {
    expect(certificateDateWarnings([root()], { now: notAfter() - 31 * DAY_MS, sentAsX5c: true })).toEqual([]);
  });

  it('warns with the remaining days when it expires within 30 days', () => {
    const sut = certificateDateWarnings([root()], { now: notAfter() - 10 * DAY_MS, sentAsX5c: true });

    expect(sut).toEqual([expect.stringMatching(/^certificate expires on .* \(in 10 days\); after that registries reject/)]);
  });

  it('says every x5c token will be rejected once it has expired', () => {
    const sut = certificateDateWarnings([root()], { now: notAfter() + DAY_MS, sentAsX5c: true });

    expect(sut).toEqual([expect.stringMatching(/^certificate EXPIRED on .*REJECT every token that carries it as x5c/)]);
  });

  it('says kid-only verification still works when an expired certificate is not sent as x5c', () => {
    const sut = certificateDateWarnings([root()], { now: notAfter() + DAY_MS, sentAsX5c: false });

    expect(sut).toEqual([expect.stringMatching(/^certificate expired on .*kid-only verification still works/)]);
  });

  it('warns when the certificate is not valid yet', () => {
    const sut = certificateDateWarnings([root()], { now: Date.parse(root().validFrom) - DAY_MS, sentAsX5c: true });

    expect(sut).toEqual([expect.stringMatching(/^certificate is not valid before/)]);
  });

  it('names which certificate of a chain the warning is about', () => {
    const chain = [new X509Certificate(otherPem), root()];

    const sut = certificateDateWarnings(chain, { now: notAfter() + DAY_MS, sentAsX5c: false });

    expect(sut).toEqual([expect.stringMatching(/^certificate 1 \(CN=other\) expired/), expect.stringMatching(/^certificate 2 \(CN=root\) expired/)]);
  });
});
