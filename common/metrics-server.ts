/**
 * Serves a metrics registry at `GET /metrics` for Prometheus to scrape and, beside it,
 * `GET /healthz` (liveness) and `GET /readyz` (readiness) for Kubernetes probes and
 * Compose health checks: 200 when every check is ok, else 503, with the checks as JSON.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { HealthRegistry } from './health';

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The health registries behind `/healthz` and `/readyz`; an absent one answers ok with no checks. */
export interface HealthEndpoints {
  liveness?: HealthRegistry;
  readiness?: HealthRegistry;
}

/** Starts the server on `host:port` (port 0 picks a free one). */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host = '0.0.0.0',
  health: HealthEndpoints = {},
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const route = req.method === 'GET' ? req.url?.split('?')[0] : undefined;
    if (route === '/metrics') {
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(body);
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
      return;
    }
    if (route === '/healthz' || route === '/readyz') {
      const checks = route === '/healthz' ? health.liveness : health.readiness;
      (checks ? checks.run() : Promise.resolve({ ok: true, checks: {} })).then(
        (report) => {
          res.writeHead(report.ok ? 200 : 503, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ status: report.ok ? 'ok' : 'unavailable', checks: report.checks }) + '\n');
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
      return;
    }
    res.writeHead(404);
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps its scrape connection open; do not wait for it to time out.
        server.closeAllConnections();
      }),
  };
}
