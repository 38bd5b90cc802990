import { Controller, Get, Inject, Injectable, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiExcludeController } from '@nestjs/swagger';
import { EVENT_BUS } from '../events/events.module';
import type { EventBus } from '../events/event-bus';
import { Metrics } from '../observability/metrics';

/** A dependency check: resolves when the dependency answers, throws otherwise. */
export interface ReadinessProbe {
  name: string;
  check(): Promise<void>;
  /**
   * Whether this replica cannot serve while the dependency is down. Default true. False for a
   * dependency the service degrades without: it is reported (/healthz, /readyz details, metrics)
   * but does not make the replica unready.
   */
  critical?: boolean;
}

export const READINESS_PROBES = Symbol('READINESS_PROBES');

const PROBE_TIMEOUT_MS = 2000;
/** /healthz and /metrics report checks at most this old, refreshing them otherwise. */
const REPORT_MAX_AGE_MS = 5000;
/** How long /healthz and /metrics wait for a refresh before answering with what they have. */
const REPORT_WAIT_MS = 1000;

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

/** One dependency as /healthz and /readyz report it. */
export interface DependencyState {
  status: 'up' | 'down';
  message?: string;
  /** Present (false) for a dependency that does not decide readiness. */
  critical?: false;
  /** The event bus's state (see EventBusHealth). */
  state?: string;
}

interface Report {
  ready: boolean;
  details: Record<string, DependencyState>;
  at: number;
}

/**
 * Liveness, readiness and the dependency report. Readiness answers one question: can this replica
 * serve? Not while draining, not without Postgres (or whatever the app marks critical), and not
 * while its event subscriptions are missing although Redis answers (it would miss bans). A shared
 * dependency the service degrades without (Redis, for the gateway) is reported, never a reason to
 * be unready: it is down for every replica at once, and unready replicas would turn the degraded
 * mode into an outage.
 */
@ApiExcludeController()
@Controller()
export class HealthController {
  private last: Report | null = null;
  private running: Promise<Report> | null = null;

  constructor(
    private readonly lifecycle: Lifecycle,
    @Inject(READINESS_PROBES) private readonly probes: ReadinessProbe[],
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    metrics: Metrics,
  ) {
    const fresh = () => this.fresh();
    metrics.gauge(
      'dependency_up',
      'Per dependency: 1 when it answered its last check (critical ones decide /readyz)',
      ['dependency', 'critical'],
      async function () {
        const report = await fresh();
        this.reset();
        for (const [dependency, s] of Object.entries(report?.details ?? {}))
          this.set({ dependency, critical: String(s.critical !== false) }, s.status === 'up' ? 1 : 0);
      },
    );
    metrics.gauge('service_ready', '1 when /readyz would answer 200', [], async function () {
      const report = await fresh();
      if (report) this.set(report.ready ? 1 : 0);
    });
  }

  /**
   * Liveness: the event loop answers. Never fails on a dependency (a Redis outage must not restart
   * us); reports them in `details`, from a check at most a few seconds old.
   */
  @Get('healthz')
  async live(): Promise<{ status: 'ok'; details?: Record<string, DependencyState> }> {
    const report = await this.fresh();
    return report ? { status: 'ok', details: report.details } : { status: 'ok' };
  }

  /** Readiness: this replica can serve. 503 with each check's state otherwise. */
  @Get('readyz')
  async ready(@Res({ passthrough: true }) res: Response): Promise<unknown> {
    const { ready, details } = await this.evaluate();
    const info: Record<string, DependencyState> = {};
    const error: Record<string, DependencyState> = {};
    for (const [name, s] of Object.entries(details)) {
      if (s.status === 'up') info[name] = s;
      else if (s.critical !== false) error[name] = s;
    }
    if (!ready) res.status(503);
    return { status: ready ? 'ok' : 'error', info, error, details };
  }

  /** The last report if recent enough, else a new one (waiting at most REPORT_WAIT_MS for it). */
  private async fresh(): Promise<Report | null> {
    if (this.last && Date.now() - this.last.at < REPORT_MAX_AGE_MS) return this.last;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<null>((r) => (timer = setTimeout(() => r(null), REPORT_WAIT_MS)));
    const report = await Promise.race([this.evaluate(), waited]).finally(() => clearTimeout(timer));
    return report ?? this.last;
  }

  /** Runs every check (concurrent callers share one run). */
  private evaluate(): Promise<Report> {
    this.running ??= this.runChecks().finally(() => (this.running = null));
    return this.running;
  }

  private async runChecks(): Promise<Report> {
    const details: Record<string, DependencyState> = {
      lifecycle: this.lifecycle.draining ? { status: 'down', message: 'draining' } : { status: 'up' },
    };
    const probe = async (p: ReadinessProbe): Promise<void> => {
      let state: DependencyState;
      try {
        await withTimeout(p.check(), PROBE_TIMEOUT_MS);
        state = { status: 'up' };
      } catch (err) {
        state = { status: 'down', message: (err as Error).message };
      }
      details[p.name] = p.critical === false ? { ...state, critical: false } : state;
    };
    const bus = async (): Promise<void> => {
      const [reachable, health] = await Promise.all([this.bus.redisReachable(), this.bus.check()]);
      // Redis itself: every service degrades without it (rate limits, presence, fan-out), none stops.
      if (reachable !== null)
        details.redis = reachable
          ? { status: 'up', critical: false }
          : { status: 'down', message: 'no answer to PING', critical: false };
      details.eventBus = health.ready
        ? { status: 'up', state: health.state, ...(health.message ? { message: health.message } : {}) }
        : { status: 'down', state: health.state, message: health.message };
    };
    await Promise.all([...this.probes.map(probe), bus()]);
    const ready = Object.values(details).every((s) => s.status === 'up' || s.critical === false);
    this.last = { ready, details, at: Date.now() };
    return this.last;
  }
}
