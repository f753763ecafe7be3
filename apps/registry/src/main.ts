import 'reflect-metadata';
import multipart from '@fastify/multipart';
import { runMain, startHttpApp } from '@falaj/http';
import { databaseConnection } from './database/database-connection';
import { ensureDatabase } from './database/ensure-database';
import { registerOpenApi } from './openapi/openapi';
import { RegistryModule } from './registry.module';
import { loadRegistryConfig } from './registry.config';

runMain('registry', async () => {
  const config = loadRegistryConfig();
  const database = databaseConnection(config.database);
  await ensureDatabase(database);
  return startHttpApp(RegistryModule.forRoot(config, database), {
    name: 'registry',
    ...config.http,
    tls: config.tls,
    logLevel: config.logLevel,
    configure: async (app) => {
      const fastify = app.getHttpAdapter().getInstance();
      // Uploads stream to the artifact store; the store enforces the size limit as bytes arrive.
      await app.register(multipart, { limits: { files: 1, fileSize: config.artifacts.maxUploadBytes + 1 } });
      // Model uploads and batch inputs (NDJSON) are streamed, never buffered whole.
      for (const type of ['application/octet-stream', 'application/x-ndjson']) {
        fastify.addContentTypeParser(type, (_request, payload, done) => done(null, payload));
      }
      registerOpenApi(app);
    },
  });
});
