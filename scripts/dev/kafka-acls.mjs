// npm start: grants the apps' Kafka ACLs for FALAJ_PREFIX (and FALAJ_STREAM_TOPIC_PREFIX), as the
// operator, from the one policy in libs/messaging/src/kafka-acl.policy.ts (built into dist/).
// Reads the operator's connection as an app does (FALAJ_KAFKA_*: `infra.sh kafka-env falaj-admin`);
// idempotent. Nothing to do on a plaintext broker (it has no authorizer). Tenants' ACLs are not
// granted here: the registry grants each tenant's as it makes it, and all of them again at boot
// (it has the tenants; this script has no database).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { z } = require('zod');
const { kafkaConnection, kafkaEnv, loadEnv, PrefixSchema } = { ...require('../../dist/libs/config/src/index.js'), ...require('../../dist/libs/contracts/src/index.js') };
const { applyKafkaAcls, createKafka, kafkaAclPolicy } = require('../../dist/libs/messaging/src/index.js');

const e = loadEnv('kafka-acls', z.object({ ...kafkaEnv, FALAJ_PREFIX: PrefixSchema.default('falaj'), FALAJ_STREAM_TOPIC_PREFIX: PrefixSchema.optional() }));
if (e.FALAJ_KAFKA_SECURITY === 'plaintext') {
  console.log('kafka-acls: plaintext broker, no ACLs to grant');
  process.exit(0);
}
const admin = createKafka('falaj-kafka-acls', kafkaConnection(e)).admin();
await admin.connect();
try {
  const rules = kafkaAclPolicy(e.FALAJ_PREFIX, e.FALAJ_STREAM_TOPIC_PREFIX ?? e.FALAJ_PREFIX);
  const granted = await applyKafkaAcls(admin, rules);
  console.log(`kafka-acls: ${granted} ACL bindings for prefix '${e.FALAJ_PREFIX}' (${new Set(rules.map((r) => r.user)).size} users)`);
} finally {
  await admin.disconnect();
}
