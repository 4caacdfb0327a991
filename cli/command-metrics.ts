/** The metrics of a one-process command (`scan`, `serve`): the registry, served when asked. */
import { PipelineMetrics, startMetricsServer, type DeepsiftConfig, type Logger, type MetricsServer } from '../common';

/** Creates the metrics (process metrics included) and serves them on `config.metricsPort` when set. */
export async function startCommandMetrics(config: Pick<DeepsiftConfig, 'metricsPort'>, logger: Logger): Promise<{ metrics: PipelineMetrics; metricsServer: MetricsServer | undefined }> {
  const metrics = new PipelineMetrics();
  metrics.collectProcessMetrics();
  if (config.metricsPort === undefined) return { metrics, metricsServer: undefined };
  const metricsServer = await startMetricsServer(metrics.registry, config.metricsPort);
  logger.info('Serving metrics.', { port: metricsServer.port });
  return { metrics, metricsServer };
}
