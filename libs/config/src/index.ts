export * from './config.error';
export * from './load-config';
export * from './common-env';
export * from './secret';
export * from './kafka-env';
export * from './tls-env';
