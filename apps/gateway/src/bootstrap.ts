import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { configureHttpApp } from '@chat/platform';
import type { GatewayConfig } from './config';
import { GatewayAppModule } from './gateway-app.module';

/** Builds the gateway app (not yet listening), as main.ts, the local launcher and the tests use it. */
export async function createGatewayApp(config: GatewayConfig): Promise<INestApplication> {
  const app = await NestFactory.create(GatewayAppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  configureHttpApp(app, {
    title: 'Chat gateway',
    docsPath: 'docs/gateway',
    corsOrigins: config.corsOrigins,
    trustedProxies: config.trustedProxies,
    // socket.io's engine answers its own upgrades; any other path's is refused in the error shape.
    upgradePaths: ['/socket.io/'],
  });
  return app;
}
