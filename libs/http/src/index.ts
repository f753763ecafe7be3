export * from './domain.error';
export * from './http-exception.filter';
export * from './health';
export * from './bootstrap';
export * from './zod.pipe';
