/**
 * The tenants' Kafka tokens (SASL/OAUTHBEARER, KIP-768). The registry signs them (ES256, the key
 * of FALAJ_KAFKA_TOKEN_KEY_FILE); the broker checks them with Kafka's own
 * OAuthBearerValidatorCallbackHandler against that key's JWKS, with this issuer and audience
 * (infra/kafka/listeners-sasl_ssl.properties; its spec checks the two agree), and takes `sub` as
 * the principal. The audience is no app's: an access token is never a Kafka token, nor the reverse.
 */
export const KAFKA_TOKEN = {
  issuer: 'falaj-kafka-tokens',
  audience: 'falaj-kafka',
  /** A token lives this long (the broker allows 30 s of clock skew); a client asks for the next before. */
  lifetimeSeconds: 900,
} as const;

/**
 * A tenant's principal on the broker: `User:tenant.<stream prefix>.<tenant>`. The stream prefix is
 * in it because one broker may serve several deployments (every test run is one): tenant `acme`
 * of one has no grant on another's topics. Prefixes and tenant ids hold no dot, so the name is
 * unambiguous, and no SCRAM user starts with `tenant.`.
 */
export const tenantKafkaPrincipal = (streamPrefix: string, tenantId: string): `tenant.${string}` => `tenant.${streamPrefix}.${tenantId}`;

/**
 * The prefix of a tenant's consumer group ids, `<stream prefix>.client.<tenant>.`: ended by a dot,
 * which no tenant id holds, so `acme`'s prefix never matches `acme-corp`'s groups.
 */
export const tenantKafkaGroupPrefix = (streamPrefix: string, tenantId: string): string => `${streamPrefix}.client.${tenantId}.`;

/** What the registry's Kafka-token endpoint answers. */
export interface KafkaTokenGrant {
  token: string;
  expires_in: number;
  principal: string;
}

/**
 * A kafkajs `oauthBearerProvider` that keeps one token and fetches the next when a third of its
 * life is left (kafkajs asks on every new connection; the broker never re-authenticates a live one).
 */
export function refreshingKafkaToken(fetchToken: () => Promise<KafkaTokenGrant>, now: () => number = Date.now): () => Promise<{ value: string }> {
  let current: { value: string; renewAt: number } | undefined;
  let pending: Promise<{ value: string; renewAt: number }> | undefined;
  return async () => {
    if (current && current.renewAt > now()) return { value: current.value };
    pending ??= fetchToken()
      .then((grant) => (current = { value: grant.token, renewAt: now() + (grant.expires_in * 1000 * 2) / 3 }))
      .finally(() => (pending = undefined));
    return { value: (await pending).value };
  };
}
