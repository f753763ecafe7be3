export * from './free-port';
export * from './eventually';
export * from './app-process';
export * from './falaj-suite';
export * from './oip-binary';
export * from './oip-grpc-client';
export * from './keycloak';

export * from './repo-root';
export * from './local-issuer';
export * from './fuzz/oip-arbitraries';
export * from './fuzz/fuzz-cases';
export * from './fuzz/gateway-fuzz';
export * from './reply-follower';
export * from './kafka-access';
export * from './test-tls';
export * from './prometheus';
export * from './archives';
