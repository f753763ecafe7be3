export * from './free-port';
export * from './eventually';
export * from './app-process';
export * from './falaj-suite';
export * from './oip-binary';
export * from './oip-grpc-client';
export * from './conformance';

export * from './repo-root';
