/**
 * The entry point of `deepsift serve` (imported directly, not through the barrel, since it
 * loads both back ends: ONNX Runtime, amqplib, the AWS SDK). Starts the server from the resolved configuration: checks the authentication
 * settings, creates the back end, builds the app and listens. Used by the CLI and the tests.
 */
import { isIPv4 } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { DeepsiftConfig, Logger, PipelineMetrics } from '../common';
import { packageRoot } from '../weights';
import type { AnalysisBackend } from './analysis-backend';
import { ApiKeyConfigError, ApiKeyStore } from './api-keys';
import { JobService } from './job-service';
import { buildServeApp } from './serve-app';
import { DistributedBackend } from './distributed-backend';
import { EmbeddedBackend } from './embedded-backend';

/** How to start: which back end, with or without authentication. */
export interface StartServerOptions {
  distributed: boolean;
  /** `--no-auth`: allowed only when listening on loopback. */
  noAuth: boolean;
  version: string;
  /** The web app's built files; default `<package>/dist/web`. */
  webRoot?: string;
}

/** A listening server. */
export interface RunningServer {
  app: FastifyInstance;
  backend: AnalysisBackend;
  jobs: JobService;
  /** `http://host:port` */
  url: string;
  /** Stops listening, ends event streams, closes the back end. Idempotent. */
  close(): Promise<void>;
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
}

/** Creates the back end and listens on `config.serveHost:config.serveTcpPort`. */
export async function startServer(config: DeepsiftConfig, deps: { logger: Logger; metrics: PipelineMetrics }, options: StartServerOptions): Promise<RunningServer> {
  const keys = await apiKeysFor(config, options.noAuth);
  const backend: AnalysisBackend = options.distributed
    ? await DistributedBackend.create(config, deps.logger, { maxUploadBytes: config.serveMaxUploadBytes })
    : await EmbeddedBackend.create(config, deps, {
        uploadDir: path.resolve(config.serveUploadDir),
        reportsDir: path.resolve(config.serveReportsDir),
        maxUploadBytes: config.serveMaxUploadBytes,
      });
  const jobs = new JobService(backend, deps.logger);
  let app: FastifyInstance;
  try {
    app = await buildServeApp({ backend, jobs, keys, logger: deps.logger }, {
      rateLimitPerMinute: config.serveRateLimitPerMinute,
      corsOrigins: config.serveCorsOrigins,
      allowPrivateUrls: config.allowPrivateUrls,
      webRoot: options.webRoot ?? path.join(packageRoot(), 'dist', 'web'),
      version: options.version,
    });
    await app.listen({ host: config.serveHost, port: config.serveTcpPort });
  } catch (error) {
    await backend.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.serveTcpPort;
  const host = config.serveHost.includes(':') ? `[${config.serveHost}]` : config.serveHost;
  let closing: Promise<void> | undefined;
  return {
    app,
    backend,
    jobs,
    url: `http://${host}:${port}`,
    close: () => (closing ??= app.close().then(() => backend.close())),
  };
}

async function apiKeysFor(config: DeepsiftConfig, noAuth: boolean): Promise<ApiKeyStore | undefined> {
  if (noAuth) {
    if (!isLoopbackHost(config.serveHost)) throw new ApiKeyConfigError(`--no-auth is allowed only on loopback (127.0.0.1, ::1, localhost), not on ${config.serveHost}`);
    return undefined;
  }
  const keys = await ApiKeyStore.load({ file: config.apiKeysFile, keys: config.apiKeys });
  if (keys.size === 0) {
    throw new ApiKeyConfigError('no API keys: set DEEPSIFT_API_KEYS_FILE (one key per line) or DEEPSIFT_API_KEYS, or run on loopback with --no-auth');
  }
  return keys;
}
