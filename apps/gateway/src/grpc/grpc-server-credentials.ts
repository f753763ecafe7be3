import * as grpc from '@grpc/grpc-js';
import { CertificateWatcher, type TlsSettings } from '@falaj/tls';

/** The gRPC listener's client certificates: none, or require (mTLS; refused in the handshake). */
export type GrpcClientAuth = 'none' | 'require';

/**
 * grpc-js's certificate-provider interface fed by the app's CertificateWatcher, so gRPC serves
 * each rotation as HTTPS does, from the same validated pair (a bad pair on disk never reaches
 * it). grpc-js's own FileWatcherCertificateProvider would re-read the files on its own timer
 * and hand over whatever it found, checked or not.
 */
class WatchedCertificateProvider implements grpc.experimental.CertificateProvider {
  constructor(private readonly watcher: CertificateWatcher) {}

  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    // Later, not now: grpc-js registers the server's watcher only after adding this listener.
    setImmediate(() => listener({ caCertificate: this.watcher.current.ca }));
    this.watchers.set(
      listener,
      this.watcher.onChange((m) => listener({ caCertificate: m.ca })),
    );
  }

  removeCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.watchers.get(listener)?.();
    this.watchers.delete(listener);
  }

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    setImmediate(() => listener({ certificate: this.watcher.current.cert, privateKey: this.watcher.current.key }));
    this.watchers.set(
      listener,
      this.watcher.onChange((m) => listener({ certificate: m.cert, privateKey: m.key })),
    );
  }

  removeIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.watchers.get(listener)?.();
    this.watchers.delete(listener);
  }

  private readonly watchers = new Map<unknown, () => void>();
}

/** TLS (rotating) for the gRPC listener, or plain HTTP/2 with TLS off. */
export function grpcServerCredentials(tls: TlsSettings, clientAuth: GrpcClientAuth): grpc.ServerCredentials {
  if (!tls.enabled) return grpc.ServerCredentials.createInsecure();
  const provider = new WatchedCertificateProvider(CertificateWatcher.of(tls, tls.pollIntervalMs));
  const requireClientCertificate = clientAuth === 'require';
  // grpc-js 1.14.7 hands this factory's first two arguments to the constructor the other way
  // round (identity first, then CA): the first is the identity here, the second the CA clients
  // must chain to (null: no client certificate asked for). The e2e test of TLS without mTLS fails
  // if a release swaps them back.
  return grpc.experimental.createCertificateProviderServerCredentials(provider, requireClientCertificate ? provider : null, requireClientCertificate);
}
