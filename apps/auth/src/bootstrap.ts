import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { configureHttpApp } from '@chat/platform';
import type { AuthConfig } from './config';
import { AuthAppModule } from './auth-app.module';

/** Builds the auth app (not yet listening), as main.ts, the local launcher and the tests use it. */
export async function createAuthApp(config: AuthConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AuthAppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  configureHttpApp(app, {
    title: 'Chat auth',
    docsPath: 'auth/docs',
    corsOrigins: config.corsOrigins,
    trustedProxies: config.trustedProxies,
  });
  return app;
}
