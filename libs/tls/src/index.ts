export * from './tls-settings';
export * from './tls-material';
export * from './certificate-pair.policy';
export * from './certificate-watcher';
export * from './server-tls';
export * from './platform-trust';
