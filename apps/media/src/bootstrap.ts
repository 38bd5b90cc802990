import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { configureHttpApp } from '@chat/platform';
import type { MediaConfig } from './config';
import { MediaAppModule } from './media-app.module';

/**
 * A whole request (upload body included) may take this long: MEDIA_MAX_BYTES over a slow mobile
 * link outlasts Node's 5-minute default.
 */
const REQUEST_TIMEOUT_MS = 60 * 60 * 1000;
/** A connection with no traffic either way for this long is cut, so a stalled upload frees its socket. */
const IDLE_TIMEOUT_MS = 2 * 60 * 1000;

/** Builds the media app (not yet listening), as main.ts, the local launcher and the tests use it. */
export async function createMediaApp(config: MediaConfig): Promise<INestApplication> {
  const app = await NestFactory.create(MediaAppModule.forRoot(config), {
    // Uploads are multipart streams read by the upload service itself, never buffered by a parser.
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  configureHttpApp(app, {
    title: 'Chat media',
    docsPath: 'docs/media',
    corsOrigins: config.corsOrigins,
    trustedProxies: config.trustedProxies,
  });
  const server = app.getHttpServer() as Server;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.setTimeout(IDLE_TIMEOUT_MS);
  return app;
}
