import { z } from 'zod';
import { SIGNATURE_ALGORITHMS } from './signature.policy';

/** Header of an upload's detached signature: `<keyId>:<base64 signature>`; a multipart upload sends it as the field `signature`. */
export const SIGNATURE_HEADER = 'x-falaj-signature';

/** Why an upload or a load was refused for its signature; the error code and the start of a worker's load-state reason. */
export const SIGNATURE_REFUSALS = ['signature_required', 'signature_malformed', 'signature_key_unknown', 'signature_key_revoked', 'signature_invalid'] as const;
export type SignatureRefusal = (typeof SIGNATURE_REFUSALS)[number];

/**
 * What a worker asks the registry of a version before it makes a session
 * (`GET /internal/signatures/:tenant/:model/:version`): whether its tenant requires a signature,
 * and the version's signature with its key, when the key is still trusted.
 */
export const ArtifactSignatureInfoSchema = z.object({
  required: z.boolean(),
  signature: z
    .object({
      keyId: z.string().min(1).max(64),
      algorithm: z.enum(SIGNATURE_ALGORITHMS),
      signature: z.string().min(1).max(1024),
      /** SubjectPublicKeyInfo, DER, base64. */
      publicKey: z.string().min(1).max(1024),
    })
    .nullable(),
  /** Set when the version is signed by a key that is revoked or gone: why it no longer verifies. */
  refusal: z.enum(SIGNATURE_REFUSALS).optional(),
});
export type ArtifactSignatureInfo = z.infer<typeof ArtifactSignatureInfoSchema>;

/** A worker's report of a version it refused to load for its signature (`POST /internal/signatures/refusals`): audited by the registry. */
export const SignatureLoadRefusalSchema = z
  .object({
    tenantId: z.string().min(1).max(63),
    model: z.string().min(1).max(128),
    version: z.number().int().positive().max(2_147_483_647),
    refusal: z.enum(SIGNATURE_REFUSALS),
    reason: z.string().min(1).max(500),
  })
  .strict();
export type SignatureLoadRefusal = z.infer<typeof SignatureLoadRefusalSchema>;
