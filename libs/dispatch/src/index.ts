export * from './pool-dispatcher';
export * from './pool-monitor';
