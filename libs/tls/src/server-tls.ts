import { Logger } from '@nestjs/common';
import type { SecureContextOptions, Server as TlsServer, TLSSocket, TlsOptions } from 'node:tls';
import { CertificateWatcher } from './certificate-watcher';
import type { TlsMaterial } from './tls-material';
import type { ClientAuth, TlsSettings } from './tls-settings';

/**
 * TLS 1.2 suites with forward secrecy and AEAD only (Mozilla's "intermediate" list; none on
 * HTTP/2's block list), after TLS 1.3's, which OpenSSL always offers first.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const TLS_MIN_VERSION = 'TLSv1.2' as const;

/** What goes into a secure context: the pair and CA, the protocol floor, the suites. */
export function secureContextOptions(material: TlsMaterial): SecureContextOptions {
  return { cert: material.cert, key: material.key, ca: material.ca, minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS, honorCipherOrder: true };
}

/** A TLS server's options for a client-certificate mode (`require` is refused in the handshake). */
export function serverTlsOptions(material: TlsMaterial, clientAuth: ClientAuth): TlsOptions {
  return { ...secureContextOptions(material), requestCert: clientAuth !== 'none', rejectUnauthorized: clientAuth === 'require' };
}

/** An app's HTTPS listener: its options now, and how to keep the running server current. */
export interface ServerTls {
  options: TlsOptions;
  /** Serves every rotation on this server, and (optional mode) closes connections whose certificate the CA did not issue. */
  attach(server: TlsServer): void;
}

export function serverTls(settings: Extract<TlsSettings, { enabled: true }>): ServerTls {
  const watcher = CertificateWatcher.of(settings, settings.pollIntervalMs);
  const logger = new Logger('TLS');
  return {
    options: serverTlsOptions(watcher.current, settings.clientAuth),
    attach(server) {
      // New handshakes get the new pair; connections and requests in flight keep theirs.
      watcher.onChange((material) => server.setSecureContext(secureContextOptions(material)));
      if (settings.clientAuth === 'optional') server.on('secureConnection', (socket: TLSSocket) => refuseUnverifiedPeer(socket, logger));
    },
  };
}

/**
 * `optional`: a caller need not present a certificate, but one that does must present one the CA
 * issued. Node can only ask (requestCert) or require (rejectUnauthorized); it leaves the check of
 * a presented certificate to us.
 */
function refuseUnverifiedPeer(socket: TLSSocket, logger: Logger): void {
  if (socket.authorized) return;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return;
  logger.warn({ remoteAddress: socket.remoteAddress, reason: String(socket.authorizationError) }, 'TLS: a client certificate not issued by the configured CA was refused');
  socket.destroy();
}
