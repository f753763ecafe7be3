import 'reflect-metadata';
import { Authenticator } from '@falaj/auth';
import { runMain, startHttpApp } from '@falaj/http';
import { registerRegistryProxy } from './admin/registry-proxy';
import { registerSwaggerUi } from './docs/swagger-ui';
import { GatewayModule } from './gateway.module';
import { loadGatewayConfig } from './gateway.config';

runMain('gateway', async () => {
  const config = loadGatewayConfig();
  return startHttpApp(GatewayModule.forRoot(config), {
    name: 'gateway',
    ...config.http,
    logLevel: config.logLevel,
    bodyLimit: config.maxRequestBytes,
    configure: async (app) => {
      registerRegistryProxy(app.getHttpAdapter().getInstance(), config.registryUrl, app.get(Authenticator));
      await registerSwaggerUi(app);
    },
  });
});
