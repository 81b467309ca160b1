import { X509Certificate } from 'node:crypto';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
const DAY_MS = 86_400_000;
export const EXPIRY_WARNING_DAYS = 30;

export type CertificateParse = { readonly ok: true; readonly certificates: readonly X509Certificate[] } | { readonly ok: false; readonly message: string };

/** Every `CERTIFICATE` block of a PEM file, in file order (leaf first, by convention). */
export function parseCertificatePem(pem: string): CertificateParse {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return { ok: false, message: 'no PEM CERTIFICATE block found' };
  const certificates: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block));
    } catch {
      return { ok: false, message: `certificate ${index + 1} of the file cannot be parsed` };
    }
  }
  return { ok: true, certificates };
}

export interface DateCheck {
  readonly now: number;
  /** Whether this chain goes out as `x5c`, where registries enforce the dates. */
  readonly sentAsX5c: boolean;
}

/**
 * Warnings, not errors: on the kid path registries ignore certificate dates, so an expired
 * certificate still works there. With x5c on, the registry rejects every token it signs, which
 * the text says plainly.
 */
export function certificateDateWarnings(certificates: readonly X509Certificate[], check: DateCheck): string[] {
  const warnings: string[] = [];
  for (const [index, cert] of certificates.entries()) {
    const which = certificates.length > 1 ? `certificate ${index + 1} (${cert.subject.replace(/\n/g, ', ')})` : 'certificate';
    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    if (notAfter < check.now) {
      warnings.push(
        check.sentAsX5c
          ? `${which} EXPIRED on ${iso(notAfter)}: registries REJECT every token that carries it as x5c; ` +
              'renew the certificate, or turn x5c off (the kid path ignores certificate dates)'
          : `${which} expired on ${iso(notAfter)}; kid-only verification still works, x5c would not`,
      );
    } else if (notAfter - check.now < EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.floor((notAfter - check.now) / DAY_MS);
      warnings.push(
        `${which} expires on ${iso(notAfter)} (in ${days} days)` + (check.sentAsX5c ? '; after that registries reject tokens that carry it as x5c' : ''),
      );
    }
    if (notBefore > check.now) {
      warnings.push(`${which} is not valid before ${iso(notBefore)}; registries reject it as x5c until then`);
    }
  }
  return warnings;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
