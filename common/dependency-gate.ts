/**
 * Whether this worker can do its work: the dependencies it found broken (by an
 * `InfrastructureError` from a handler, or a failed start-up check), probed until they
 * are back. While one is down, stages take no new work (`whenUp`) and readiness is false;
 * one that stays down past `giveUpAfterMs` ends the worker (`onGiveUp`), so that its
 * orchestrator restarts it rather than letting it hold messages for ever.
 */
import { describeError, type Dependency, type InfrastructureError } from './errors';
import type { Logger } from './logger';

/** Checks one dependency; rejects while it is unusable. */
export type DependencyProbe = (signal: AbortSignal) => Promise<void>;

export interface DependencyGateOptions {
  /** Probes by dependency; a dependency without one is never seen to recover. */
  probes: Partial<Record<Dependency, DependencyProbe>>;
  /** Time between probes of a dependency that is down. */
  probeIntervalMs: number;
  /** A dependency down this long ends the worker; 0 ends it at the first failure (`scan`). */
  giveUpAfterMs: number;
  /** Called once, with the failure that lasted too long. */
  onGiveUp: (error: InfrastructureError) => void;
  logger: Logger;
}

/** One dependency that is down. */
export interface DownDependency {
  dependency: Dependency;
  since: Date;
  reason: string;
}

interface DownState {
  error: InfrastructureError;
  since: number;
  timer: NodeJS.Timeout | undefined;
}

/** The gate stages pass before taking work: closed while a dependency they found broken is down. */
export class DependencyGate {
  private readonly down = new Map<Dependency, DownState>();
  private readonly upWaiters = new Set<() => void>();
  private gaveUp = false;
  private closed = false;

  constructor(private readonly options: DependencyGateOptions) {}

  /** True while no dependency is known to be down. */
  get ready(): boolean {
    return this.down.size === 0 && !this.gaveUp;
  }

  /** The dependencies that are down now. */
  get downDependencies(): DownDependency[] {
    return [...this.down.entries()].map(([dependency, state]) => ({ dependency, since: new Date(state.since), reason: describeError(state.error) }));
  }

  /** Records that a dependency failed; probing starts (or the worker gives up at once). */
  reportDown(error: InfrastructureError): void {
    if (this.closed || this.down.has(error.dependency)) return;
    this.options.logger.error('A dependency is unusable: taking no new work until it is back.', { dependency: error.dependency, error: describeError(error) });
    const state: DownState = { error, since: Date.now(), timer: undefined };
    this.down.set(error.dependency, state);
    if (this.options.giveUpAfterMs === 0) {
      this.giveUp(error);
      return;
    }
    this.scheduleProbe(error.dependency, state);
  }

  /** Resolves once no dependency is down; rejects with the signal's reason when it aborts. */
  whenUp(signal?: AbortSignal): Promise<void> {
    if (this.down.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onUp = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.upWaiters.delete(onUp);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.upWaiters.add(onUp);
    });
  }

  /** Stops probing. Idempotent. */
  close(): void {
    this.closed = true;
    for (const state of this.down.values()) clearTimeout(state.timer);
  }

  private scheduleProbe(dependency: Dependency, state: DownState): void {
    state.timer = setTimeout(() => void this.probe(dependency, state), this.options.probeIntervalMs);
  }

  private async probe(dependency: Dependency, state: DownState): Promise<void> {
    if (this.closed || this.down.get(dependency) !== state) return;
    const probe = this.options.probes[dependency];
    if (probe) {
      try {
        await probe(AbortSignal.timeout(Math.max(1_000, this.options.probeIntervalMs)));
        this.down.delete(dependency);
        this.options.logger.info('A dependency is back: taking work again.', { dependency, downMs: Date.now() - state.since });
        if (this.down.size === 0) {
          for (const resolve of this.upWaiters) resolve();
          this.upWaiters.clear();
        }
        return;
      } catch (error) {
        this.options.logger.debug('Dependency still down.', { dependency, error: describeError(error) });
      }
    }
    if (Date.now() - state.since >= this.options.giveUpAfterMs) {
      this.giveUp(state.error);
      return;
    }
    this.scheduleProbe(dependency, state);
  }

  private giveUp(error: InfrastructureError): void {
    if (this.gaveUp) return;
    this.gaveUp = true;
    this.options.logger.error('A dependency stayed unusable: giving up.', { dependency: error.dependency, error: describeError(error) });
    this.options.onGiveUp(error);
  }
}
