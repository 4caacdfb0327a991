import { InfrastructureError, ShutdownError } from './errors';
import { createSilentLogger } from './logger';
import { DependencyGate } from './dependency-gate';

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('DependencyGate', () => {
  it('holds new work while a dependency is down and lets it go once its probe passes', async () => {
    let bucketBack = false;
    const health = new DependencyGate({
      probes: { storage: async () => { if (!bucketBack) throw new Error('ECONNREFUSED'); } },
      probeIntervalMs: 10, giveUpAfterMs: 60_000, onGiveUp: () => { throw new Error('must not give up'); }, logger: createSilentLogger(),
    });
    health.reportDown(new InfrastructureError('storage', 'object store unavailable'));
    expect(health.ready).toBe(false);
    expect(health.downDependencies.map((d) => d.dependency)).toEqual(['storage']);
    let released = false;
    const waiting = health.whenUp().then(() => (released = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(released).toBe(false);
    bucketBack = true;
    await waiting;
    expect(health.ready).toBe(true);
    health.close();
  });

  it('gives up on a dependency that stays down, once, and lets a waiting handler go on shutdown', async () => {
    const gaveUp: InfrastructureError[] = [];
    const health = new DependencyGate({ probes: {}, probeIntervalMs: 10, giveUpAfterMs: 50, onGiveUp: (e) => gaveUp.push(e), logger: createSilentLogger() });
    health.reportDown(new InfrastructureError('ffmpeg', 'spawn ffmpeg ENOENT'));
    health.reportDown(new InfrastructureError('ffmpeg', 'again'));
    const controller = new AbortController();
    const waiting = health.whenUp(controller.signal);
    await until(() => gaveUp.length > 0);
    expect(gaveUp.map((e) => e.message)).toEqual(['spawn ffmpeg ENOENT']);
    expect(health.ready).toBe(false);
    controller.abort(new ShutdownError());
    await expect(waiting).rejects.toBeInstanceOf(ShutdownError);
    health.close();
  });
});
