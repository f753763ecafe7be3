import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type AclEntry, type Admin } from 'kafkajs';
import type { AclOperation, AclResourceType, KafkaAclRule } from './kafka-acl.policy';
import { tenantKafkaPrincipal } from './kafka-token';

const RESOURCE: Record<AclResourceType, AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  'transactional-id': AclResourceTypes.TRANSACTIONAL_ID,
  cluster: AclResourceTypes.CLUSTER,
};
const OPERATION: Record<AclOperation, AclOperationTypes> = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  delete: AclOperationTypes.DELETE,
  describe: AclOperationTypes.DESCRIBE,
  alter: AclOperationTypes.ALTER,
  'idempotent-write': AclOperationTypes.IDEMPOTENT_WRITE,
};

/** The broker's ACL bindings of the rules: one ALLOW per operation, from any host. */
export function aclEntries(rules: readonly KafkaAclRule[]): AclEntry[] {
  return rules.flatMap((rule) =>
    rule.operations.map((operation) => ({
      resourceType: RESOURCE[rule.resource.type],
      resourceName: rule.resource.name,
      resourcePatternType: rule.resource.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: `User:${rule.user}`,
      host: '*',
      operation: OPERATION[operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

/** Grants the rules (as the operator: creating an existing binding changes nothing). */
export async function applyKafkaAcls(admin: Admin, rules: readonly KafkaAclRule[]): Promise<number> {
  const acl = aclEntries(rules);
  await admin.createAcls({ acl });
  return acl.length;
}

/**
 * Removes a prefix's grants (a test run's, when it ends). The cluster's grants are the same for
 * every prefix and stay: another run, or `npm start`, still needs them.
 */
export async function removeKafkaAcls(admin: Admin, rules: readonly KafkaAclRule[]): Promise<void> {
  const filters = aclEntries(rules.filter((rule) => rule.resource.type !== 'cluster'));
  if (filters.length > 0) await admin.deleteAcls({ filters });
}

/**
 * Removes every grant of the tenants of one stream prefix (a test run's, when it ends), whichever
 * tenants the registry made: they are found by their principals, `User:tenant.<prefix>.…`.
 */
export async function removeTenantKafkaAcls(admin: Admin, streamPrefix: string): Promise<number> {
  const { resources } = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const principal = `User:${tenantKafkaPrincipal(streamPrefix, '')}`;
  const filters = resources.flatMap((resource) =>
    resource.acls
      .filter((acl) => acl.principal.startsWith(principal))
      .map((acl) => ({ resourceType: resource.resourceType, resourceName: resource.resourceName, resourcePatternType: resource.resourcePatternType, ...acl })),
  );
  if (filters.length > 0) await admin.deleteAcls({ filters });
  return filters.length;
}
