export * from './pool-dispatcher';
export * from './pool-monitor';
export * from './inference/inference.error';
export * from './inference/inference-call';
export * from './inference/inference.pipeline';
