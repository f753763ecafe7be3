import { DomainError, SIGNATURE_REFUSALS, type SignatureRefusal } from '@falaj/contracts';

/** What a SigningError says went wrong: an upload's signature refusal, or a key or subject not there. */
export const SIGNING_ERROR_CODES = [...SIGNATURE_REFUSALS, 'invalid_public_key', 'trusted_key_exists', 'trusted_key_not_found', 'tenant_not_found', 'version_not_found'] as const;
export type SigningErrorCode = (typeof SIGNING_ERROR_CODES)[number];

export class SigningError extends DomainError<SigningErrorCode> {
  /** An upload refused for its signature: 422, or 400 when the header itself is malformed. */
  static refused(code: SignatureRefusal, message: string): SigningError {
    return new SigningError(code === 'signature_malformed' ? 400 : 422, message, code);
  }
  static invalidKey(reason: string): SigningError {
    return new SigningError(400, `not a trusted-key candidate: ${reason}`, 'invalid_public_key');
  }
  static keyExists(tenantId: string, keyId: string): SigningError {
    return new SigningError(409, `tenant '${tenantId}' already has key ${keyId} (a revoked key stays revoked: make a new one)`, 'trusted_key_exists');
  }
  static keyNotFound(tenantId: string, keyId: string): SigningError {
    return new SigningError(404, `tenant '${tenantId}' has no trusted key ${keyId}`, 'trusted_key_not_found');
  }
  static tenantNotFound(id: string): SigningError {
    return new SigningError(404, `tenant '${id}' not found`, 'tenant_not_found');
  }
  static versionNotFound(tenantId: string, model: string, version: number): SigningError {
    return new SigningError(404, `version ${version} of model '${model}' of tenant '${tenantId}' not found`, 'version_not_found');
  }
}
