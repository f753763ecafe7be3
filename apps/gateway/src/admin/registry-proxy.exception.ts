import { DomainError } from '@falaj/contracts';

/** What a RegistryProxyError says went wrong: its `code`, in every protocol's error answer. */
export const REGISTRY_PROXY_ERROR_CODES = ['bad_path', 'registry_unreachable'] as const;
export type RegistryProxyErrorCode = (typeof REGISTRY_PROXY_ERROR_CODES)[number];

/** A request the gateway will not forward to the registry: always the caller's (400). */
export class RegistryProxyError extends DomainError<RegistryProxyErrorCode> {
  static badPath(message: string): RegistryProxyError {
    return new RegistryProxyError(400, message, 'bad_path');
  }
}
