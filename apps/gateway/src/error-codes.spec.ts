import { BACKBONE_UNAVAILABLE_ERROR_CODES, BackboneUnavailableError, DomainError, REPLY_TOO_LARGE_STATUS } from '@falaj/contracts';
import { INFERENCE_ERROR_CODES, InferenceError } from '@falaj/dispatch';
import { OIP_ERROR_CODES, OipError } from '@falaj/oip';
import { QUOTA_ERROR_CODES, QuotaError, RESIDENCY_ERROR_CODES, ROUTING_ERROR_CODES, ResidencyError, RoutingUnavailableError, UnroutableError } from '@falaj/routing';
import { REGISTRY_PROXY_ERROR_CODES, RegistryProxyError } from './admin/registry-proxy.exception';
import { AUDIT_ERROR_CODES, AuditError } from './audit/audit.exception';
import { IDEMPOTENCY_ERROR_CODES, replayedRefusal } from './idempotency/idempotency.service';

type Factory = (...args: never[]) => DomainError;

/** The gateway's capabilities and the libs' it answers for: each class, its codes, and arguments for every factory. */
const FACTORIES: { errorClass: abstract new (...args: never[]) => DomainError; codes: readonly string[]; factories: Record<string, unknown[][]> }[] = [
  { errorClass: RegistryProxyError, codes: REGISTRY_PROXY_ERROR_CODES, factories: { badPath: [['/admin/../x']] } },
  { errorClass: AuditError, codes: AUDIT_ERROR_CODES, factories: { spoolFull: [[1024]], spoolUnwritable: [[]] } },
  {
    errorClass: InferenceError,
    codes: INFERENCE_ERROR_CODES,
    factories: {
      noWorker: [
        ['cpu', 'm', 1],
        ['cpu.ae', 'm', 1, 'ae'],
      ],
      regionStoreMissing: [['ae']],
      forbidden: [['requires scope versions:pin']],
      badRequest: [['bad']],
      timeout: [['late']],
      fromWorker: [
        [REPLY_TOO_LARGE_STATUS, 'over', 'r'],
        [400, 'bad input', 'r'],
        [503, 'not loaded', 'r'],
        [500, 'ort failed', 'r'],
      ],
    },
  },
];

describe('gateway error codes', () => {
  describe.each(FACTORIES.map((capability) => [capability.errorClass.name, capability] as const))('%s', (_name, { errorClass, codes, factories }) => {
    it('lists every factory here', () => {
      const statics = Object.getOwnPropertyNames(errorClass).filter((name) => typeof (errorClass as unknown as Record<string, unknown>)[name] === 'function');
      expect(statics.sort()).toEqual(Object.keys(factories).sort());
    });

    it('gives each factory a status and a code of its own tuple', () => {
      for (const [name, calls] of Object.entries(factories)) {
        for (const args of calls) {
          const error = (errorClass as unknown as Record<string, Factory>)[name](...(args as never[]));
          expect(error).toBeInstanceOf(errorClass);
          expect(codes).toContain(error.code);
          expect(error.status).toBeGreaterThanOrEqual(400);
          expect(error.status).toBeLessThan(600);
        }
      }
    });
  });

  it.each([
    ['UnroutableError', new UnroutableError("model 'm' not found"), ROUTING_ERROR_CODES, 'unroutable'],
    ['RoutingUnavailableError', new RoutingUnavailableError('m'), ROUTING_ERROR_CODES, 'routing_unavailable'],
    ['ResidencyError', new ResidencyError('stays in ae'), RESIDENCY_ERROR_CODES, 'residency'],
    ['QuotaError 429', new QuotaError(429, 'over', 1, 'tenant_rate'), QUOTA_ERROR_CODES, 'quota_exceeded'],
    ['QuotaError 503', new QuotaError(503, 'shed', 1), QUOTA_ERROR_CODES, 'shed'],
    ['BackboneUnavailableError', new BackboneUnavailableError('redis away'), BACKBONE_UNAVAILABLE_ERROR_CODES, 'backbone_unavailable'],
    ['OipError 400', new OipError(400, 'bad shape'), OIP_ERROR_CODES, 'bad_request'],
    ['OipError 413', new OipError(413, 'too many elements', 'tensor_too_large', 'tensor_elements'), OIP_ERROR_CODES, 'tensor_too_large'],
  ])('gives %s a code of its tuple', (_name, error, codes, code) => {
    expect(error.code).toBe(code);
    expect(codes).toContain(error.code);
  });

  it('declares distinct snake_case codes in every tuple', () => {
    for (const codes of [
      REGISTRY_PROXY_ERROR_CODES,
      AUDIT_ERROR_CODES,
      IDEMPOTENCY_ERROR_CODES,
      INFERENCE_ERROR_CODES,
      OIP_ERROR_CODES,
      QUOTA_ERROR_CODES,
      ROUTING_ERROR_CODES,
      RESIDENCY_ERROR_CODES,
    ]) {
      expect(new Set(codes).size).toBe(codes.length);
      for (const code of codes) expect(code).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    }
  });

  describe('replayedRefusal', () => {
    it("answers a kept refusal with the first answer's status, message and code", () => {
      const error = replayedRefusal({ status: 404, body: Buffer.from(JSON.stringify({ error: "model 'm' not found", code: 'unroutable' })) });
      expect({ status: error.status, message: error.message, code: error.code }).toEqual({ status: 404, message: "model 'm' not found", code: 'unroutable' });
    });

    it('says replayed for an answer kept before codes', () => {
      expect(replayedRefusal({ status: 409, body: Buffer.from(JSON.stringify({ error: 'held' })) }).code).toBe('replayed');
    });
  });
});
