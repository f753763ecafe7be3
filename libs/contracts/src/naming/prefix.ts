import { z } from 'zod';

/**
 * Every Kafka topic, Redis key and consumer group carries a deployment prefix, so a test run
 * (`falajtest…`) never tramples a running `npm start` (`falaj`) on the same brokers.
 */
export const PrefixSchema = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lowercase letters, digits and dashes, starting with a letter');
