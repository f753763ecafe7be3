import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { Authenticator, InvalidTokenError } from '@falaj/auth';

/** Where the admin API's OpenAPI document is served (behind a credential, like all of /admin). */
export const OPENAPI_PATH = '/admin/openapi.json';

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Falaj admin API')
    .setDescription(
      'Models, versions, stages, aliases, deployments, load state, tenants, quotas and credentials. ' +
        'Every call needs `Authorization: Bearer <token or fj_ API key>`; errors are `{"error": "..."}`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'a Falaj JWT or an API key (fj_…)' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // Health and internal routes are not the admin API.
  for (const path of Object.keys(document.paths)) if (!path.startsWith('/admin')) delete document.paths[path];
  return document;
}

/** Serves the document to any authenticated caller; no credential, no document (house rule). */
export function registerOpenApi(app: NestFastifyApplication): void {
  const document = buildOpenApiDocument(app);
  const authenticator = app.get(Authenticator);
  app
    .getHttpAdapter()
    .getInstance()
    .get(OPENAPI_PATH, async (request, reply) => {
      try {
        await authenticator.authenticate(request.headers.authorization);
      } catch (error) {
        if (!(error instanceof InvalidTokenError)) throw error;
        return reply.status(401).send({ error: error.message, code: 'unauthorized' });
      }
      return reply.header('cache-control', 'no-store').send(document);
    });
}
