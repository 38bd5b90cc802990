import { Controller, Get, Inject, Injectable, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';

/** A dependency check for /readyz: resolves when the dependency answers, throws otherwise. */
export interface ReadinessProbe {
  name: string;
  check(): Promise<void>;
}

export const READINESS_PROBES = Symbol('READINESS_PROBES');

const PROBE_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Readiness state that graceful shutdown flips, so the load balancer stops routing here first. */
@Injectable()
export class Lifecycle {
  draining = false;
}

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly lifecycle: Lifecycle,
    @Inject(READINESS_PROBES) private readonly probes: ReadinessProbe[],
  ) {}

  /** Liveness: the event loop answers. Never checks dependencies (a Redis outage must not restart us). */
  @Get('healthz')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: every dependency answers and we are not draining. */
  @Get('readyz')
  async ready(@Res({ passthrough: true }) res: Response): Promise<unknown> {
    const checks = [
      (): HealthIndicatorResult => {
        const i = this.indicator.check('lifecycle');
        return this.lifecycle.draining ? i.down({ message: 'draining' }) : i.up();
      },
      ...this.probes.map((probe) => async (): Promise<HealthIndicatorResult> => {
        const i = this.indicator.check(probe.name);
        try {
          await withTimeout(probe.check(), PROBE_TIMEOUT_MS);
          return i.up();
        } catch (err) {
          return i.down({ message: (err as Error).message });
        }
      }),
    ];
    try {
      return await this.health.check(checks);
    } catch (err) {
      // Not an error for the client: a 503 with each check's state, for operators and probes.
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(503);
      return err.getResponse();
    }
  }
}
