import { DomainError } from '@falaj/contracts';

/** What a VersionsError says went wrong: its `code`, in every protocol's error answer. */
export const VERSIONS_ERROR_CODES = [
  'version_not_found',
  'invalid_model',
  'external_data_escapes',
  'invalid_lineage',
  'artifact_too_large',
  'model_over_limits',
  'storage_quota_exceeded',
  'empty_upload',
  'bad_transition',
  'version_deployed',
  'no_rollback_target',
  'residency',
  'unsupported_media_type',
  'version_archived',
  'artifact_missing',
] as const;
export type VersionsErrorCode = (typeof VERSIONS_ERROR_CODES)[number];

export class VersionsError extends DomainError<VersionsErrorCode> {
  static notFound(model: string, version: number): VersionsError {
    return new VersionsError(404, `version ${version} of model '${model}' not found`, 'version_not_found');
  }
  static invalidModel(reason: string): VersionsError {
    return new VersionsError(400, `not a valid ONNX model: ${reason}`, 'invalid_model');
  }
  static externalDataEscapes(locations: string[]): VersionsError {
    return new VersionsError(
      400,
      `not a valid ONNX model: external data must stay in the model's own folder, but the model names ${locations.map((l) => `'${l}'`).join(', ')}`,
      'external_data_escapes',
    );
  }
  static invalidLineage(reason: string): VersionsError {
    return new VersionsError(400, `invalid lineage: ${reason}`, 'invalid_lineage');
  }
  static tooLarge(maxBytes: number): VersionsError {
    return new VersionsError(413, `model artifact exceeds the upload limit of ${maxBytes} bytes (FALAJ_MAX_UPLOAD_BYTES)`, 'artifact_too_large', { limit: 'upload_bytes' });
  }
  static overModelLimits(problems: string[]): VersionsError {
    return new VersionsError(400, `model refused by the platform's limits: ${problems.join('; ')}`, 'model_over_limits', { limit: 'model_tensors' });
  }
  static overStorageQuota(quotaBytes: number): VersionsError {
    return new VersionsError(
      413,
      `the tenant's storage quota of ${quotaBytes} bytes (FALAJ_TENANT_STORAGE_BYTES) is used up or would be exceeded by this upload; delete models it no longer needs`,
      'storage_quota_exceeded',
      { limit: 'tenant_storage' },
    );
  }
  static emptyUpload(): VersionsError {
    return new VersionsError(400, 'the upload holds no model file', 'empty_upload');
  }
  static badTransition(from: string, to: string): VersionsError {
    return new VersionsError(409, `a ${from} version cannot move to ${to}`, 'bad_transition');
  }
  static inDeployment(version: number, revision: number): VersionsError {
    return new VersionsError(409, `version ${version} is part of the deployment (revision ${revision}); change or delete the deployment first`, 'version_deployed');
  }
  static nothingToRollBackTo(model: string): VersionsError {
    return new VersionsError(409, `model '${model}' has no earlier production version to roll back to`, 'no_rollback_target');
  }
}
