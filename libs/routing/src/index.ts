export * from './route-key';
export * from './production-route.policy';
export * from './routing-table.reader';
export * from './deployment-route.policy';
