import 'reflect-metadata';
import compress from '@fastify/compress';
import { RequestMethod } from '@nestjs/common';
import { Authenticator } from '@falaj/auth';
import { runMain, startHttpApp } from '@falaj/http';
import { registerIssuerProxy } from './admin/issuer-proxy';
import { registerRegistryProxy } from './admin/registry-proxy';
import { registerSwaggerUi } from './docs/swagger-ui';
import { GatewayModule } from './gateway.module';
import { IdempotencyService } from './idempotency/idempotency.service';
import { loadGatewayConfig } from './gateway.config';

runMain('gateway', async () => {
  const config = loadGatewayConfig();
  return startHttpApp(GatewayModule.forRoot(config), {
    name: 'gateway',
    ...config.http,
    tls: config.tls,
    logLevel: config.logLevel,
    bodyLimit: config.maxRequestBytes,
    // Inference bodies are JSON or JSON + binary tensors (Triton's extension): the routes read raw bytes.
    bodyParser: false,
    // The inference hot path: its calls are in the audit log, not the app log.
    unloggedRoutes: [
      { path: 'v2/models/:name/infer', method: RequestMethod.POST },
      { path: 'v2/models/:name/versions/:version/infer', method: RequestMethod.POST },
    ],
    configure: async (app) => {
      const fastify = app.getHttpAdapter().getInstance();
      // `Content-Encoding: gzip|deflate` bodies are inflated as they stream in, and Fastify counts
      // the inflated bytes against bodyLimit (413), so a zip bomb stops at the limit.
      // Responses are compressed when the client sends `Accept-Encoding`.
      await app.register(compress, { global: true, encodings: ['gzip', 'deflate'], requestEncodings: ['gzip', 'deflate', 'identity'], threshold: 1024 });
      fastify.removeAllContentTypeParsers();
      fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxRequestBytes }, (_request, body, done) => done(null, body));
      registerRegistryProxy(fastify, { registryUrl: config.registryUrl, authenticator: app.get(Authenticator), idempotency: app.get(IdempotencyService) });
      registerIssuerProxy(fastify, config.registryUrl);
      await registerSwaggerUi(app);
    },
  });
});
