import { isTenantReplyTopic, tenantReplyTopicNamespace } from '@falaj/contracts';

describe('isTenantReplyTopic', () => {
  it("accepts the tenant's namespace and a suffix under it", () => {
    expect(tenantReplyTopicNamespace('falaj', 'acme')).toBe('falaj.replies.acme');
    expect(isTenantReplyTopic('falaj', 'acme', 'falaj.replies.acme')).toBe(true);
    expect(isTenantReplyTopic('falaj', 'acme', 'falaj.replies.acme.orders_v2-eu')).toBe(true);
    expect(isTenantReplyTopic('falaj', 'acme', `falaj.replies.acme.${'x'.repeat(100)}`)).toBe(true);
  });

  it("refuses another tenant's namespace, including one that starts with this tenant's id", () => {
    expect(isTenantReplyTopic('falaj', 'acme', 'falaj.replies.globex')).toBe(false);
    expect(isTenantReplyTopic('falaj', 'acme', 'falaj.replies.acme-corp')).toBe(false);
    expect(isTenantReplyTopic('falaj', 'acme-corp', 'falaj.replies.acme.corp')).toBe(false);
  });

  it('refuses platform and streaming topics, and topics under another prefix', () => {
    for (const topic of [
      'falaj.model.lifecycle.v1',
      'falaj.model.commands.v1',
      'falaj.audit.v1',
      'falaj.rollouts.v1',
      'falaj.inference.requests',
      'falaj.inference.responses',
      'falaj.inference.dlq',
    ]) {
      expect(isTenantReplyTopic('falaj', 'acme', topic)).toBe(false);
    }
    expect(isTenantReplyTopic('falaj', 'acme', 'other.replies.acme')).toBe(false);
  });

  it('refuses a suffix with dots, other characters, nothing, or over 100 characters', () => {
    expect(isTenantReplyTopic('falaj', 'acme', 'falaj.replies.acme.a.b')).toBe(false);
    expect(isTenantReplyTopic('falaj', 'acme', 'falaj.replies.acme.a/b')).toBe(false);
    expect(isTenantReplyTopic('falaj', 'acme', 'falaj.replies.acme.')).toBe(false);
    expect(isTenantReplyTopic('falaj', 'acme', `falaj.replies.acme.${'x'.repeat(101)}`)).toBe(false);
    expect(isTenantReplyTopic('falaj', 'acme', 'falaj.replies.acmeX')).toBe(false);
  });
});
