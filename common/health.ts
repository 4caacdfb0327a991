/**
 * Named health checks behind `/healthz` (liveness) and `/readyz` (readiness): each check
 * answers ok or not ok with a reason, and a registry runs them all with a time limit.
 */

/** What one check found: ok, or not ok with a reason a person can act on. */
export interface HealthStatus {
  ok: boolean;
  /** Why the check is not ok (or a short note when it is). */
  reason?: string;
}

/** A named check; it may be slow (a round trip to the broker or the store) or throw. */
export type HealthCheck = () => HealthStatus | Promise<HealthStatus>;

/** The outcome of running every check: ok only when all are. */
export interface HealthReport {
  ok: boolean;
  checks: Record<string, HealthStatus>;
}

/** A check that takes longer than this counts as not ok. */
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 2_000;

/** Named checks, run together; a check that throws or times out is not ok with the reason. */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  constructor(private readonly timeoutMs: number = DEFAULT_HEALTH_CHECK_TIMEOUT_MS) {}

  /** Adds (or replaces) the check called `name`. */
  register(name: string, check: HealthCheck): this {
    this.checks.set(name, check);
    return this;
  }

  /** The names of the registered checks, in registration order. */
  get names(): string[] {
    return [...this.checks.keys()];
  }

  /** Runs every check at once and reports each. */
  async run(): Promise<HealthReport> {
    const entries = await Promise.all([...this.checks].map(async ([name, check]) => [name, await this.runOne(check)] as const));
    return { ok: entries.every(([, status]) => status.ok), checks: Object.fromEntries(entries) };
  }

  private async runOne(check: HealthCheck): Promise<HealthStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<HealthStatus>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${this.timeoutMs} ms` }), this.timeoutMs);
    });
    try {
      return await Promise.race([Promise.resolve().then(check), timedOut]);
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}
