import { bool, makeValidator } from 'envalid';
import { optionalHttpUrl } from '../config/env';

/** A sampling ratio: a number from 0 to 1. */
const ratio = makeValidator<number>((input) => {
  const value = Number(input);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error('must be a number from 0 to 1');
  return value;
});

/**
 * Tracing settings (auth and media): OpenTelemetry over OTLP/HTTP, off unless TRACING_ENABLED.
 * Our own names rather than the SDK's OTEL_* so that one validated config, read at boot, decides;
 * the SDK is told everything explicitly.
 */
export const tracingEnv = {
  /** Export traces of HTTP requests, routes, Postgres queries and outgoing calls (S3, JWKS). */
  TRACING_ENABLED: bool({ default: false }),
  /** The collector's OTLP/HTTP traces URL. */
  TRACING_OTLP_URL: optionalHttpUrl({ default: 'http://127.0.0.1:4318/v1/traces' }),
  /** The share of traces kept (parent-based: a caller's decision wins). */
  TRACING_SAMPLE_RATIO: ratio({ default: 1 }),
};

export interface TracingConfig {
  enabled: boolean;
  otlpUrl: string;
  sampleRatio: number;
}

export function tracingConfig(e: {
  TRACING_ENABLED: boolean;
  TRACING_OTLP_URL: string;
  TRACING_SAMPLE_RATIO: number;
}): TracingConfig {
  return { enabled: e.TRACING_ENABLED, otlpUrl: e.TRACING_OTLP_URL, sampleRatio: e.TRACING_SAMPLE_RATIO };
}

export interface Tracing {
  /** Flushes the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry for `service` when tracing is on; answers null (and loads nothing) when off.
 * Call it before the app's modules are loaded (main.ts imports its bootstrap after this): the
 * instrumentations patch `http`, `express`, `@nestjs/core` and `pg` as they are required.
 *
 * Not for the gateway: instrumenting it turns on AsyncLocalStorage for every socket write, which
 * the benchmark measured at about 30 % more CPU per delivery (docs/scaling.md); measure before
 * enabling it there.
 */
export async function startTracing(service: string, config: TracingConfig): Promise<Tracing | null> {
  if (!config.enabled) return null;
  const [{ NodeSDK, tracing }, { OTLPTraceExporter }, http, express, nest, pg, resources] = await Promise.all(
    [
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-express'),
      import('@opentelemetry/instrumentation-nestjs-core'),
      import('@opentelemetry/instrumentation-pg'),
      import('@opentelemetry/resources'),
    ],
  );
  const sdk = new NodeSDK({
    resource: resources.resourceFromAttributes({ 'service.name': `chat-${service}` }),
    traceExporter: new OTLPTraceExporter({ url: config.otlpUrl }),
    sampler: new tracing.ParentBasedSampler({
      root: new tracing.TraceIdRatioBasedSampler(config.sampleRatio),
    }),
    instrumentations: [
      new http.HttpInstrumentation({
        // Probes and scrapes are not requests anyone wants to trace.
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)\b/.test(req.url ?? ''),
      }),
      new express.ExpressInstrumentation(),
      new nest.NestInstrumentation(),
      new pg.PgInstrumentation({ enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
