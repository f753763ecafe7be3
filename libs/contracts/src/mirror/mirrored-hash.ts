/**
 * The field every writer of a mirrored Redis hash (the routing table, the registry's mirrors)
 * keeps in it beside its records. Redis drops an empty hash, so without it "the writer has
 * nothing" and "Redis lost the hash" (a restart without persistence, a flush) look the same to a
 * reader; with it, a hash without this field is one that Redis lost, and a reader keeps its last
 * view (and says it is unsure) until the writer has written it again.
 */
export const MIRRORED_HASH_PRESENT_FIELD = '~present';
