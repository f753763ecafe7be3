import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditTopic, inferenceStreamTopics, modelCommandsTopic, modelLifecycleTopic, quarantineTopic, rolloutTopic } from '@falaj/contracts';
import { AclOperationTypes, ResourcePatternTypes } from 'kafkajs';
import { aclEntries } from './kafka-acl.apply';
import { KAFKA_USERS, aclAllows, kafkaAclPolicy, tenantKafkaAclPolicy, type AclOperation, type KafkaPrincipalName } from './kafka-acl.policy';
import { KAFKA_TOKEN, tenantKafkaGroupPrefix, tenantKafkaPrincipal } from './kafka-token';

const P = 'falaj';
const rules = kafkaAclPolicy(P);
const topic = (name: string) => ({ type: 'topic' as const, name });
const may = (user: KafkaPrincipalName, op: AclOperation, name: string) => aclAllows(rules, user, op, topic(name));
const stream = inferenceStreamTopics(P);
const { gateway, registry, router, worker, provisioner } = KAFKA_USERS;
const acme = tenantKafkaPrincipal(P, 'acme');
const acmecorp = tenantKafkaPrincipal(P, 'acmecorp');
const acmeDash = tenantKafkaPrincipal(P, 'acme-corp');
/** The platform's rules and three tenants' whose names begin alike, as one broker holds them. */
const all = [...rules, ...tenantKafkaAclPolicy(P, 'acme'), ...tenantKafkaAclPolicy(P, 'acmecorp'), ...tenantKafkaAclPolicy(P, 'acme-corp')];
const can = (user: KafkaPrincipalName, op: AclOperation, resource: { type: 'topic' | 'group'; name: string }) => aclAllows(all, user, op, resource);

describe('kafkaAclPolicy', () => {
  describe('one writer per topic that consumers act on', () => {
    it.each([
      [modelLifecycleTopic(P), [registry]],
      [modelCommandsTopic(P), [registry]],
      [rolloutTopic(P), [registry]],
      [quarantineTopic(auditTopic(P)), [registry]],
      [auditTopic(P), [gateway, router]],
      // The shared answers topic of old: no one writes it any more (answers go to each tenant's own topic).
      [`${P}.inference.responses`, []],
      [stream.dlq, [router]],
      [`${P}.replies.acme`, [router]],
      [`${P}.replies.acme.orders`, [router]],
    ])('%s is written only by %j', (name, writers) => {
      const users = [...Object.values(KAFKA_USERS).filter((u) => u !== KAFKA_USERS.admin && u !== KAFKA_USERS.broker), acme, acmecorp, acmeDash];
      expect(users.filter((u) => aclAllows(all, u, 'write', topic(name))).sort()).toEqual([...writers].sort());
    });

    it('lets every tenant, and no app, publish requests', () => {
      expect([acme, acmecorp, acmeDash].every((t) => can(t, 'write', topic(stream.requests)))).toBe(true);
      expect(Object.values(KAFKA_USERS).filter((u) => may(u, 'write', stream.requests))).toEqual([]);
    });
  });

  it('keeps workers off the audit trail and the commands they obey', () => {
    expect(may(worker, 'read', auditTopic(P))).toBe(false);
    expect(may(worker, 'write', auditTopic(P))).toBe(false);
    expect(may(worker, 'write', modelCommandsTopic(P))).toBe(false);
    expect(may(worker, 'read', modelCommandsTopic(P))).toBe(true);
  });

  it('lets the gateway write audit events and nothing that steers serving', () => {
    expect(may(gateway, 'write', auditTopic(P))).toBe(true);
    for (const name of [modelLifecycleTopic(P), modelCommandsTopic(P), stream.requests]) expect(may(gateway, 'write', name)).toBe(false);
    expect(may(gateway, 'read', auditTopic(P))).toBe(false);
  });

  it('confines a tenant to the requests topic and its own replies', () => {
    expect(can(acme, 'read', topic(`${P}.replies.acme`))).toBe(true);
    expect(can(acme, 'read', topic(`${P}.replies.acme.orders`))).toBe(true);
    expect(can(acme, 'create', topic(`${P}.replies.acme.orders`))).toBe(true);
    for (const name of [auditTopic(P), modelLifecycleTopic(P), modelCommandsTopic(P), stream.dlq, stream.requests, `${P}.inference.responses`]) expect(can(acme, 'read', topic(name))).toBe(false);
    for (const name of [auditTopic(P), modelLifecycleTopic(P), modelCommandsTopic(P), stream.dlq, `${P}.replies.acme`]) expect(can(acme, 'write', topic(name))).toBe(false);
    // Its groups never collide with the platform's (a tenant joining the bridge's group would take its partitions).
    expect(can(acme, 'read', { type: 'group', name: `${P}-router-streaming` })).toBe(false);
    expect(can(acme, 'read', { type: 'group', name: `${tenantKafkaGroupPrefix(P, 'acme')}orders` })).toBe(true);
  });

  describe('tenantKafkaAclPolicy', () => {
    it.each([
      ['acme', 'acmecorp'],
      ['acmecorp', 'acme'],
      ['acme', 'acme-corp'],
      ['acme-corp', 'acme'],
    ])("gives %s nothing of %s's namespace, however alike their names", (own, other) => {
      const user = tenantKafkaPrincipal(P, own);
      for (const name of [`${P}.replies.${other}`, `${P}.replies.${other}.orders`]) {
        for (const op of ['read', 'create', 'describe', 'write'] as const) expect(can(user, op, topic(name))).toBe(false);
      }
      expect(can(user, 'read', { type: 'group', name: `${tenantKafkaGroupPrefix(P, other)}answers` })).toBe(false);
      expect(can(user, 'read', topic(`${P}.replies.${own}`))).toBe(true);
    });

    it('is a grant of one deployment: the same tenant id of another stream prefix has none', () => {
      expect(can(tenantKafkaPrincipal('other', 'acme'), 'read', topic(`${P}.replies.acme`))).toBe(false);
      expect(aclAllows(tenantKafkaAclPolicy('other', 'acme'), tenantKafkaPrincipal('other', 'acme'), 'read', topic(`${P}.replies.acme`))).toBe(false);
    });

    it('grants LITERAL the default reply topic and PREFIXED only what ends in a dot', () => {
      const prefixed = tenantKafkaAclPolicy(P, 'acme')
        .filter((r) => r.resource.pattern === 'prefixed')
        .map((r) => r.resource.name);
      expect(prefixed.length).toBeGreaterThan(0);
      for (const name of prefixed) expect(name.endsWith('.')).toBe(true);
    });
  });

  it('lets only the provisioner grant ACLs and make or delete reply topics, and it reads nothing', () => {
    const alter = (user: KafkaPrincipalName) => aclAllows(all, user, 'alter', { type: 'cluster', name: 'kafka-cluster' });
    expect([...Object.values(KAFKA_USERS), acme].filter(alter)).toEqual([provisioner]);
    expect(may(provisioner, 'create', `${P}.replies.acme`)).toBe(true);
    expect(may(provisioner, 'delete', `${P}.replies.acme.orders`)).toBe(true);
    for (const name of [`${P}.replies.acme`, stream.requests, auditTopic(P), modelLifecycleTopic(P)]) {
      expect(may(provisioner, 'read', name)).toBe(false);
      expect(may(provisioner, 'write', name)).toBe(false);
    }
  });

  it("grants nothing on another deployment's prefix", () => {
    for (const user of [gateway, registry, router, worker, provisioner]) {
      expect(may(user, 'read', auditTopic('other'))).toBe(false);
      expect(may(user, 'write', auditTopic('other'))).toBe(false);
      expect(may(user, 'read', modelLifecycleTopic('other'))).toBe(false);
    }
  });

  it('gives the router transactions of its own ids only', () => {
    const txn = (user: KafkaPrincipalName, name: string) => aclAllows(rules, user, 'write', { type: 'transactional-id', name });
    expect(txn(router, `${P}-router-streaming-router-1`)).toBe(true);
    expect(txn(gateway, `${P}-router-streaming-router-1`)).toBe(false);
    expect(txn(router, 'other-router-streaming-router-1')).toBe(false);
  });

  it("follows the streaming topics' own prefix", () => {
    const split = kafkaAclPolicy('falaj', 'public');
    expect(aclAllows(split, router, 'read', topic('public.inference.requests'))).toBe(true);
    expect(aclAllows(split, router, 'read', topic('falaj.inference.requests'))).toBe(false);
  });
});

describe('aclEntries', () => {
  it('makes one ALLOW binding per operation, prefixed where the rule is', () => {
    const entries = aclEntries(rules);
    expect(entries).toHaveLength(rules.reduce((n, r) => n + r.operations.length, 0));
    expect(entries).toContainEqual(
      expect.objectContaining({ principal: 'User:falaj-router', resourceName: `${P}.replies.`, resourcePatternType: ResourcePatternTypes.PREFIXED, operation: AclOperationTypes.WRITE }),
    );
  });
});

describe('KAFKA_TOKEN', () => {
  it('is what the broker expects of a token (infra/kafka/listeners-sasl_ssl.properties)', () => {
    const properties = readFileSync(join(__dirname, '../../../infra/kafka/listeners-sasl_ssl.properties'), 'utf8');
    const value = (name: string) => new RegExp(`^${name.replace(/\./g, '\\.')}=(.*)$`, 'm').exec(properties)?.[1];
    expect(value('sasl.oauthbearer.expected.issuer')).toBe(KAFKA_TOKEN.issuer);
    expect(value('sasl.oauthbearer.expected.audience')).toBe(KAFKA_TOKEN.audience);
    expect(value('sasl.oauthbearer.sub.claim.name')).toBe('sub');
  });
});

describe('KAFKA_USERS', () => {
  it('are the SCRAM users scripts/infra.sh adds when it formats the broker', () => {
    const script = readFileSync(join(__dirname, '../../../scripts/infra.sh'), 'utf8');
    const listed = /^KAFKA_USERS=\(([^)]*)\)/m.exec(script)?.[1].split(/\s+/).filter(Boolean);
    expect(listed?.sort()).toEqual(Object.values(KAFKA_USERS).sort());
  });
});
