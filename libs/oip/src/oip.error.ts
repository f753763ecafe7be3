/**
 * A request the Open Inference Protocol says to refuse, with the HTTP status to answer with
 * (400 for a malformed or mismatched request, 404 for an unknown model, …). The message goes
 * to the client verbatim as `{"error": message}`, so it names the tensor and the problem.
 */
export class OipError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'OipError';
  }
}
