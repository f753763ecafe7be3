export * from './kafka.factory';
export * from './event-publisher';
export * from './event-consumer';
export * from './redis.factory';
export * from './kafka.module';
export * from './kafka-readiness';
export * from './redis-hash.mirror';
