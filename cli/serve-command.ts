/** `deepsift serve`: the HTTP API and web app, until SIGINT or SIGTERM. */
import { ConfigError, createLogger, resolveConfig, type DeepsiftConfig } from '../common';
import { startServer, type RunningServer } from '../serve/start-server';
import { startCommandMetrics } from './command-metrics';
import { CliError, EXIT } from './exit-codes';
import { DEEPSIFT_VERSION } from './version';

/** The flags of `deepsift serve`. */
export interface ServeCommandOptions {
  host?: string;
  port?: string;
  auth: boolean;
  distributed: boolean;
}

/** Runs the server until a signal; returns the exit status. */
export async function runServe(options: ServeCommandOptions): Promise<number> {
  let config: DeepsiftConfig;
  try {
    config = resolveConfig(process.env, { host: options.host, port: options.port });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const { metrics, metricsServer } = await startCommandMetrics(config, logger);
  let server: RunningServer;
  try {
    server = await startServer(config, { logger, metrics }, { distributed: options.distributed, noAuth: !options.auth, version: DEEPSIFT_VERSION });
  } catch (error) {
    await metricsServer?.close();
    const named = error as Error & { code?: string };
    if (named.name === 'ApiKeyConfigError') throw new CliError(named.message, EXIT.usage);
    if (named.name === 'UnknownModelError') throw new CliError(`cannot load the models: ${named.message}`, EXIT.usage);
    if (named.code === 'EADDRINUSE' || named.code === 'EACCES' || named.code === 'EADDRNOTAVAIL') {
      throw new CliError(`cannot listen on ${config.serveHost}:${config.serveTcpPort}: ${named.message}`, EXIT.infrastructure);
    }
    throw new CliError(`cannot start the server: ${named.message}`, EXIT.infrastructure, { cause: error });
  }
  process.stderr.write(`deepsift serve (${options.distributed ? 'distributed' : 'embedded'}) listening on ${server.url}${options.auth ? '' : ' (no authentication)'}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write('deepsift serve: stopping\n');
  await server.close();
  await metricsServer?.close();
  return EXIT.ok;
}
