import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { TlsMaterial } from './tls-material';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle, in order. */
export function pemCertificates(pem: Buffer | string): X509Certificate[] {
  return (String(pem).match(PEM_CERTIFICATE) ?? []).map((block) => new X509Certificate(block));
}

/**
 * What is wrong with a certificate, key and CA read from disk, or nothing: the key must be the
 * certificate's, the certificate valid now, and its chain (the file's certificates, leaf first)
 * must end at a certificate of the CA bundle. A new pair is served only when this finds nothing,
 * so a half-written or mismatched rotation keeps the pair that works.
 */
export function certificatePairProblems(material: Pick<TlsMaterial, 'cert' | 'key' | 'ca'>, now = new Date()): string[] {
  let chain: X509Certificate[];
  let cas: X509Certificate[];
  try {
    chain = pemCertificates(material.cert);
    cas = pemCertificates(material.ca);
  } catch (error) {
    return [`a certificate does not parse: ${(error as Error).message}`];
  }
  if (chain.length === 0) return ['the certificate file holds no PEM certificate'];
  if (cas.length === 0) return ['the CA file holds no PEM certificate'];
  const problems: string[] = [];
  const leaf = chain[0];
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(material.key))) problems.push(`the key is not the certificate's (${leaf.subject.replace(/\n/g, ', ')})`);
  } catch (error) {
    problems.push(`the key does not parse: ${(error as Error).message}`);
  }
  if (now < new Date(leaf.validFrom)) problems.push(`the certificate is not valid before ${leaf.validFrom}`);
  if (now > new Date(leaf.validTo)) problems.push(`the certificate expired on ${leaf.validTo}`);
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!issuedBy(chain[i], chain[i + 1])) problems.push(`certificate ${i + 1} of the chain is not issued by certificate ${i + 2}`);
  }
  const top = chain[chain.length - 1];
  if (!cas.some((ca) => issuedBy(top, ca) || top.fingerprint256 === ca.fingerprint256)) {
    problems.push(`the certificate is not issued by the configured CA (issuer: ${top.issuer.replace(/\n/g, ', ')})`);
  }
  return problems;
}

function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
}
