import 'reflect-metadata';
import { runMain, startHttpApp } from '@falaj/http';
import { RouterModule } from './router.module';
import { loadRouterConfig } from './router.config';

runMain('router', async () => {
  const config = loadRouterConfig();
  return startHttpApp(RouterModule.forRoot(config), { name: 'router', ...config.http, tls: config.tls, logLevel: config.logLevel });
});
