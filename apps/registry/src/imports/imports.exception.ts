import { DomainError } from '@falaj/contracts';

/** What a ImportsError says went wrong: its `code`, in every protocol's error answer. */
export const IMPORTS_ERROR_CODES = [
  'invalid_mlmodel',
  'mlflow_file_missing',
  'invalid_archive',
  'archive_too_large',
  'mlflow_signature_mismatch',
  'invalid_import_url',
  'import_origin_not_allowed',
  'import_upstream',
  'mlflow_registry_not_found',
] as const;
export type ImportsErrorCode = (typeof IMPORTS_ERROR_CODES)[number];

/** Refusals of an import (MLflow model directory, archive or allow-listed URL), each with its code. */
export class ImportsError extends DomainError<ImportsErrorCode> {
  /** The MLmodel file (or a file it names) says something the import cannot take; `field` is where. */
  static invalidMlModel(field: string, reason: string): ImportsError {
    return new ImportsError(400, `invalid MLflow model: ${field}: ${reason}`, 'invalid_mlmodel');
  }
  static missingFile(path: string): ImportsError {
    return new ImportsError(400, `invalid MLflow model: '${path}' is not in the model directory`, 'mlflow_file_missing');
  }
  static badArchive(reason: string): ImportsError {
    return new ImportsError(400, `invalid archive: ${reason}`, 'invalid_archive');
  }
  static archiveTooLarge(what: string, limit: number): ImportsError {
    return new ImportsError(413, `archive refused: ${what} exceeds the limit of ${limit}`, 'archive_too_large', { limit: 'upload_bytes' });
  }
  static signatureMismatch(problems: string[]): ImportsError {
    return new ImportsError(400, `the MLmodel signature does not match the ONNX model: ${problems.join('; ')}`, 'mlflow_signature_mismatch');
  }
  static badUrl(reason: string): ImportsError {
    return new ImportsError(400, `invalid import URL: ${reason}`, 'invalid_import_url');
  }
  static originNotAllowed(origin: string): ImportsError {
    return new ImportsError(403, `origin ${origin} is not on the platform's import allow-list (FALAJ_IMPORT_ALLOWED_ORIGINS)`, 'import_origin_not_allowed');
  }
  static upstream(status: number, message: string): ImportsError {
    return new ImportsError(status, message, 'import_upstream');
  }
}
