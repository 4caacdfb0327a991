import { Registry } from 'prom-client';
import { HealthRegistry } from './health';
import { startMetricsServer, type MetricsServer } from './metrics-server';

describe('health endpoints beside /metrics', () => {
  let server: MetricsServer;
  let storageUp = true;
  const readiness = new HealthRegistry(200)
    .register('broker', () => ({ ok: true }))
    .register('storage', async () => {
      if (!storageUp) throw new Error('connect ECONNREFUSED 127.0.0.1:9000');
      return { ok: true };
    })
    .register('models', () => new Promise(() => undefined)); // never answers

  beforeAll(async () => {
    server = await startMetricsServer(new Registry(), 0, '127.0.0.1', { liveness: new HealthRegistry(), readiness });
  });
  afterAll(() => server.close());

  const get = async (route: string) => {
    const response = await fetch(`http://127.0.0.1:${server.port}${route}`);
    return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, { ok: boolean; reason?: string }> } };
  };

  it('answers /healthz with 200 while the process serves', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok', checks: {} } });
  });

  it('answers /readyz with 503 and the reason of each check that is not ok', async () => {
    storageUp = false;
    const { status, body } = await get('/readyz');
    expect(status).toBe(503);
    expect(body).toEqual({
      status: 'unavailable',
      checks: {
        broker: { ok: true },
        storage: { ok: false, reason: 'connect ECONNREFUSED 127.0.0.1:9000' },
        models: { ok: false, reason: 'no answer within 200 ms' },
      },
    });
  });

  it('answers /readyz with 200 once every check is ok', async () => {
    storageUp = true;
    readiness.register('models', () => ({ ok: true, reason: 'meso4-df' }));
    expect(await get('/readyz')).toEqual({
      status: 200,
      body: { status: 'ok', checks: { broker: { ok: true }, storage: { ok: true }, models: { ok: true, reason: 'meso4-df' } } },
    });
  });
});
