/** A credential that does not authenticate: a 401 on HTTP, UNAUTHENTICATED on gRPC, a dead letter on Kafka. */
export class InvalidTokenError extends Error {}
