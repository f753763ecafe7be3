export * from './pool-dispatcher';
export * from './pool-monitor';
export * from './inference/inference.error';
export * from './inference/inference-call';
export * from './inference/inference.pipeline';
export * from './inference/inference-audit';
export * from './stream-budget/pool-stream-admission.policy';
export * from './stream-budget/pool-stream-budget.config';
