/**
 * Base of every capability's exception (`VersionsError`, `InferenceError`…): a message for the
 * caller and the HTTP status it maps to. The global filter turns it into `{"error": "..."}`.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
