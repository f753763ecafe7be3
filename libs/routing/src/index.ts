export * from './route-key';
export * from './production-route.policy';
export * from './routing-table.reader';
export * from './route-resolver';
export * from './deployment-route.policy';
export * from './residency.policy';
export * from './quota/quota.config';
export * from './quota/token-buckets';
