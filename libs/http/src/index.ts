export * from './http-exception.filter';
export * from './bootstrap';
export * from './zod.pipe';
export * from './security-headers';
export * from './limit-refusals';
export * from './open-metrics-registry';
