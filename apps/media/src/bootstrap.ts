import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { configureHttpApp } from '@chat/platform';
import type { MediaConfig } from './config';
import { MediaAppModule } from './media-app.module';

/** Builds the media app (not yet listening), as main.ts, the local launcher and the tests use it. */
export async function createMediaApp(config: MediaConfig): Promise<INestApplication> {
  const app = await NestFactory.create(MediaAppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  configureHttpApp(app, { title: 'Chat media', docsPath: 'docs/media', corsOrigins: config.corsOrigins });
  return app;
}
