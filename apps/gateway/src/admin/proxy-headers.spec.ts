import { forwardedRequestHeaders, returnedResponseHeaders } from './proxy-headers';

const facts = { requestId: 'req-1', clientIp: '10.1.2.3', protocol: 'http', host: 'gateway.example:8080' };

describe('forwardedRequestHeaders', () => {
  it('forwards the credential, the body description and negotiation, and what the registry reads', () => {
    const headers = forwardedRequestHeaders(
      {
        authorization: 'Bearer t',
        'content-type': 'application/x-ndjson',
        'content-length': '12',
        'content-encoding': 'gzip',
        accept: 'application/json',
        'accept-encoding': 'gzip',
        prefer: 'respond-async',
        'idempotency-key': 'k',
        'if-match': '"e"',
        'x-falaj-lineage': '{}',
        'x-falaj-signature': '0123456789abcdef:AAAA',
      },
      facts,
    );
    expect(headers).toEqual({
      authorization: 'Bearer t',
      'content-type': 'application/x-ndjson',
      'content-length': '12',
      'content-encoding': 'gzip',
      accept: 'application/json',
      'accept-encoding': 'gzip',
      prefer: 'respond-async',
      'idempotency-key': 'k',
      'if-match': '"e"',
      'x-falaj-lineage': '{}',
      'x-falaj-signature': '0123456789abcdef:AAAA',
      'x-request-id': 'req-1',
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'gateway.example:8080',
    });
  });

  it('sets X-Forwarded-* and the request id itself, whatever the client sent', () => {
    const headers = forwardedRequestHeaders(
      { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil', 'x-request-id': 'client-chosen', forwarded: 'for=6.6.6.6' },
      facts,
    );
    expect(headers).toEqual({ 'x-request-id': 'req-1', 'x-forwarded-for': '10.1.2.3', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'gateway.example:8080' });
  });

  it('drops hop-by-hop, cookies, the host, proxy credentials and anything not listed', () => {
    const headers = forwardedRequestHeaders(
      {
        host: 'gateway',
        connection: 'keep-alive',
        'keep-alive': '5',
        te: 'trailers',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        cookie: 'a=b',
        'proxy-authorization': 'Basic x',
        'x-real-ip': '6.6.6.6',
        'x-falaj-tenant': 'other',
        'x-internal': '1',
      },
      facts,
    );
    expect(Object.keys(headers).sort()).toEqual(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-request-id']);
  });

  it('joins a repeated header', () => {
    expect(forwardedRequestHeaders({ accept: ['a', 'b'] as unknown as string }, facts).accept).toBe('a, b');
  });
});

describe('returnedResponseHeaders', () => {
  it("passes back the body's description, caching, redirects and the async-job headers", () => {
    const kept = {
      'content-type': 'text/event-stream',
      'content-length': '3',
      'content-encoding': 'gzip',
      'content-disposition': 'attachment',
      'cache-control': 'no-cache',
      pragma: 'no-cache',
      etag: '"e"',
      'last-modified': 'x',
      location: '/v2/batch/jobs/1',
      'retry-after': '1',
      'preference-applied': 'respond-async',
      'www-authenticate': 'Bearer',
      'x-content-sha256': 'ab',
      'x-request-id': 'r',
    };
    expect(returnedResponseHeaders(kept)).toEqual(kept);
  });

  it('drops hop-by-hop, the server, cookies and anything internal', () => {
    expect(
      returnedResponseHeaders({
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'proxy-authenticate': 'Basic',
        trailer: 'x',
        server: 'registry',
        'x-powered-by': 'x',
        'set-cookie': ['a=b'],
        'x-internal-database': 'postgres://…',
        date: 'now',
        'content-type': 'application/json',
      }),
    ).toEqual({ 'content-type': 'application/json' });
  });

  it('matches names case-insensitively', () => {
    expect(returnedResponseHeaders({ 'Content-Type': 'application/json', Location: '/x' })).toEqual({ 'content-type': 'application/json', location: '/x' });
  });
});
