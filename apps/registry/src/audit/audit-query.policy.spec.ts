import { PLATFORM_TENANT, SCOPES, type Principal } from '@falaj/auth';
import { AuditQuerySchema } from './audit.dto';
import { auditConditions, auditScopeOf, cursorBinding, statusRange } from './audit-query.policy';

const tenant: Principal = { subject: 'alice', tenantId: 'acme', scopes: [SCOPES.auditRead] };
const operator: Principal = { subject: 'ops', tenantId: PLATFORM_TENANT, scopes: [SCOPES.platformAdmin] };

describe('audit query policy', () => {
  describe('auditScopeOf', () => {
    it("keeps a tenant's account to its own tenant, named or not", () => {
      expect(auditScopeOf(tenant, undefined)).toEqual({ tenantId: 'acme' });
      expect(auditScopeOf(tenant, 'acme')).toEqual({ tenantId: 'acme' });
    });

    it("refuses a tenant's account naming another tenant with 403", () => {
      expect(() => auditScopeOf(tenant, 'globex')).toThrow(expect.objectContaining({ status: 403, code: 'audit_other_tenant' }));
    });

    it('gives the platform admin every tenant, or the one it names', () => {
      expect(auditScopeOf(operator, undefined)).toEqual({ tenantId: null });
      expect(auditScopeOf(operator, 'globex')).toEqual({ tenantId: 'globex' });
    });

    it('counts platform:admin only on a platform account', () => {
      const odd: Principal = { ...tenant, scopes: [SCOPES.auditRead, SCOPES.platformAdmin] };
      expect(auditScopeOf(odd, undefined)).toEqual({ tenantId: 'acme' });
      expect(() => auditScopeOf(odd, 'globex')).toThrow(expect.objectContaining({ status: 403 }));
    });
  });

  describe('statusRange', () => {
    it.each([
      ['404', 404, 404],
      ['5xx', 500, 599],
      ['2XX', 200, 299],
      ['1xx', 100, 199],
    ])('%s is %i…%i', (status, min, max) => {
      expect(statusRange(status)).toEqual({ min, max });
    });
  });

  describe('auditConditions', () => {
    it("bounds every statement by the scope's tenant first", () => {
      expect(auditConditions({ tenantId: 'acme' }, {})).toEqual({ where: 'tenant_id = $1', params: ['acme'] });
      expect(auditConditions({ tenantId: null }, {})).toEqual({ where: 'TRUE', params: [] });
    });

    it('turns each filter into one parameterised condition', () => {
      const filters = AuditQuerySchema.parse({ model: 'scorer', version: '3', status: '5xx', protocol: 'grpc', requestId: "r'1", from: '2026-12-01', to: '2026-12-02T04:00:00+04:00' });
      const after = { at: '2026-12-01T10:00:00.000001Z', eventId: '3f0c2a9e-8d1b-4c6e-9f7a-5b2d1e0c4a8f' };
      expect(auditConditions({ tenantId: 'acme' }, filters, after)).toEqual({
        where: [
          'tenant_id = $1',
          'model = $2',
          'version = $3',
          'status BETWEEN $4 AND $5',
          'protocol = $6',
          'request_id = $7',
          'occurred_at >= $8::timestamptz',
          'occurred_at < $9::timestamptz',
          '(occurred_at, event_id) < ($10::timestamptz, $11::uuid)',
        ].join(' AND '),
        params: ['acme', 'scorer', 3, 500, 599, 'grpc', "r'1", '2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z', after.at, after.eventId],
      });
    });

    it('compares an exact status with =', () => {
      expect(auditConditions({ tenantId: 'acme' }, { status: '429' })).toEqual({ where: 'tenant_id = $1 AND status = $2', params: ['acme', 429] });
    });
  });

  describe('cursorBinding', () => {
    it('is the same for the same query written differently', () => {
      const a = AuditQuerySchema.parse({ status: '5XX', from: '2026-12-01T04:00:00+04:00', limit: '10' });
      const b = AuditQuerySchema.parse({ status: '5xx', from: '2026-12-01T00:00:00Z', limit: '500', format: 'csv' });
      expect(cursorBinding({ tenantId: 'acme' }, a)).toBe(cursorBinding({ tenantId: 'acme' }, b));
    });

    it('differs with the scope and with every filter', () => {
      const base = cursorBinding({ tenantId: 'acme' }, {});
      const others = [
        cursorBinding({ tenantId: 'globex' }, {}),
        cursorBinding({ tenantId: null }, {}),
        ...[{ model: 'm' }, { version: 1 }, { status: '500' }, { protocol: 'rest' as const }, { requestId: 'r' }, { from: new Date(0) }, { to: new Date(0) }].map((f) =>
          cursorBinding({ tenantId: 'acme' }, f),
        ),
      ];
      expect(new Set([base, ...others]).size).toBe(others.length + 1);
    });
  });
});
