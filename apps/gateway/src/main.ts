import 'reflect-metadata';
import compress from '@fastify/compress';
import { Authenticator } from '@falaj/auth';
import { runMain, startHttpApp } from '@falaj/http';
import { registerIssuerProxy } from './admin/issuer-proxy';
import { registerRegistryProxy } from './admin/registry-proxy';
import { registerSwaggerUi } from './docs/swagger-ui';
import { GatewayModule } from './gateway.module';
import { IdempotencyService } from './idempotency/idempotency.service';
import { InferenceService } from './inference/inference.service';
import { registerRestInferRoutes } from './inference/rest-infer.routes';
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
    configure: async (app) => {
      const fastify = app.getHttpAdapter().getInstance();
      // `Content-Encoding: gzip|deflate` bodies are inflated as they stream in, and Fastify counts
      // the inflated bytes against bodyLimit (413), so a zip bomb stops at the limit.
      // Responses are compressed when the client sends `Accept-Encoding`.
      await app.register(compress, { global: true, encodings: ['gzip', 'deflate'], requestEncodings: ['gzip', 'deflate', 'identity'], threshold: 1024 });
      fastify.removeAllContentTypeParsers();
      fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxRequestBytes }, (_request, body, done) => done(null, body));
      registerRestInferRoutes(fastify, { inference: app.get(InferenceService), idempotency: app.get(IdempotencyService), authenticator: app.get(Authenticator) });
      registerRegistryProxy(fastify, { registryUrl: config.registryUrl, authenticator: app.get(Authenticator), idempotency: app.get(IdempotencyService) });
      registerIssuerProxy(fastify, config.registryUrl);
      await registerSwaggerUi(app);
    },
  });
});
