import { DomainError } from '@falaj/contracts';

/** A request the gateway will not forward to the registry: always the caller's (400). */
export class RegistryProxyError extends DomainError {
  static badPath(message: string): RegistryProxyError {
    return new RegistryProxyError(400, message, 'bad_path');
  }
}
