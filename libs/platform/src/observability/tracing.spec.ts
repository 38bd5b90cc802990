import { loadEnv } from '../config/env';
import { startTracing, tracingConfig, tracingEnv } from './tracing';

describe('tracing settings', () => {
  it('is off by default', async () => {
    const config = tracingConfig(loadEnv(tracingEnv, {}));
    expect(config).toEqual({ enabled: false, otlpUrl: 'http://127.0.0.1:4318/v1/traces', sampleRatio: 1 });
    await expect(startTracing('auth', config)).resolves.toBeNull();
  });

  it('names a bad setting at boot', () => {
    expect(() => loadEnv(tracingEnv, { TRACING_SAMPLE_RATIO: '1.5' })).toThrow(/TRACING_SAMPLE_RATIO/);
    expect(() => loadEnv(tracingEnv, { TRACING_OTLP_URL: 'grpc://collector:4317' })).toThrow(
      /TRACING_OTLP_URL/,
    );
    expect(() => loadEnv(tracingEnv, { TRACING_ENABLED: 'maybe' })).toThrow(/TRACING_ENABLED/);
  });
});
