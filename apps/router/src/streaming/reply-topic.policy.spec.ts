import { replyTopicOf, replyTopicRefusal, reservedTopics } from './reply-topic.policy';

describe('replyTopicRefusal', () => {
  const reserved = reservedTopics('falaj', 'falaj');

  it("allows the tenant's own reply namespace", () => {
    expect(replyTopicRefusal('falaj.replies.acme', 'acme', 'falaj', reserved)).toBeNull();
    expect(replyTopicRefusal('falaj.replies.acme.orders', 'acme', 'falaj', reserved)).toBeNull();
  });

  it('refuses every platform topic and the streaming topics, naming why', () => {
    for (const topic of ['falaj.model.lifecycle.v1', 'falaj.model.commands.v1', 'falaj.audit.v1', 'falaj.rollouts.v1', 'falaj.inference.requests', 'falaj.inference.dlq']) {
      expect(replyTopicRefusal(topic, 'acme', 'falaj', reserved)).toBe(`forbidden: reply-topic '${topic}' is a platform topic`);
    }
  });

  it("refuses another tenant's namespace and any other topic, saying which namespace is the caller's", () => {
    expect(replyTopicRefusal('falaj.replies.globex', 'acme', 'falaj', reserved)).toBe(
      "forbidden: reply-topic 'falaj.replies.globex' is outside the tenant's namespace (use 'falaj.replies.acme' or 'falaj.replies.acme.<suffix>')",
    );
    expect(replyTopicRefusal('my-answers', 'acme', 'falaj', reserved)).toMatch(/outside the tenant's namespace/);
    expect(replyTopicRefusal('falaj.replies.acme.a.b', 'acme', 'falaj', reserved)).toMatch(/outside the tenant's namespace/);
  });
});

describe('replyTopicOf', () => {
  it("answers on the tenant's own default reply topic when the request names none: there is no shared one", () => {
    expect(replyTopicOf(undefined, 'acme', 'falaj')).toBe('falaj.replies.acme');
    expect(replyTopicOf(undefined, 'globex', 'public')).toBe('public.replies.globex');
    expect(replyTopicOf('falaj.replies.acme.orders', 'acme', 'falaj')).toBe('falaj.replies.acme.orders');
  });
});
