/**
 * The observability an operator installs, checked against running workers: Debian's
 * Prometheus with the repository's scrape configuration and alert rules scrapes real
 * `deepsift worker` processes on loopback while videos go through, and every query of
 * every panel of deploy/grafana/dashboards/*.json must return data. A query that names a
 * metric no worker exports fails this test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { hashFile } from '../ingest';
import { REPO_ROOT } from './cli-runner';
import { dashboardQueries, labelValuesQuery, metricNamesIn, resolveVariables } from './dashboard-queries';
import { Deployment, eventually, type WorkerProcess } from './distributed-harness';
import { freePort, PrometheusServer } from './prometheus-server';
import { makeFaceVideo, makeTempDir, sharedDir } from './video-fixtures';

jest.setTimeout(300_000);

const STAGES = ['aggregator', 'detector-workers', 'face-cropper', 'frame-extractor', 'ingest'];
const PROMETHEUS_DIR = path.join(REPO_ROOT, 'deploy', 'prometheus');
const DASHBOARD_DIR = path.join(REPO_ROOT, 'deploy', 'grafana', 'dashboards');
/** Scrape every second so that a short test has enough samples; `$__rate_interval` covers several scrapes. */
const SCRAPE_INTERVAL = '1s';
/** What $__rate_interval stands for here: the whole run, so that an increase early in it still shows when the panels are asked. */
const RATE_INTERVAL = '10m';

/** The repository's prometheus.yml, with its deepsift job pointed at `targets` and its other jobs dropped. */
function scrapeConfigFor(targets: Record<string, string>): object {
  const config = parse(readFileSync(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: Array<Record<string, unknown>>;
  };
  const job = config.scrape_configs.find((c) => c.job_name === 'deepsift');
  if (!job) throw new Error('prometheus.yml has no deepsift job');
  // DNS discovery finds the compose services by name; here each worker is a static target
  // with the meta label that DNS discovery would set, so the job's relabelling still runs.
  delete job.dns_sd_configs;
  job.static_configs = Object.entries(targets).map(([service, target]) => ({ targets: [target], labels: { __meta_dns_name: service } }));
  return {
    ...config,
    global: { ...config.global, scrape_interval: SCRAPE_INTERVAL, evaluation_interval: SCRAPE_INTERVAL },
    rule_files: config.rule_files.map((f) => path.resolve(PROMETHEUS_DIR, f)),
    scrape_configs: [job],
  };
}

const byQueueCount = (series: Array<{ metric: Record<string, string> }>) => new Set(series.map((s) => s.metric.queue)).size;

describe('Prometheus and Grafana against running workers', () => {
  let deployment: Deployment;
  let prometheus: PrometheusServer;
  let dir: string;
  const workers: Record<string, WorkerProcess> = {};
  const ports: Record<string, number> = {};
  let startedAt: number;

  beforeAll(async () => {
    dir = await makeTempDir();
    deployment = await Deployment.start();
    for (const stage of STAGES) {
      ports[stage] = await freePort();
      workers[stage] = await deployment.startWorker(stage, { env: { DEEPSIFT_METRICS_PORT: String(ports[stage]) } });
    }
    const targets = Object.fromEntries(STAGES.map((s) => [s, `127.0.0.1:${ports[s]}`]));
    prometheus = await PrometheusServer.start(scrapeConfigFor(targets));
    startedAt = Date.now() / 1000;

    // A fake, a real and a file that is no video (a failed report) go through.
    const faces = path.join(sharedDir(), 'faces');
    const files = [
      await makeFaceVideo(path.join(faces, 'df', 'df00204.jpg'), path.join(dir, 'fake.mp4')),
      await makeFaceVideo(path.join(faces, 'real', 'real00240.jpg'), path.join(dir, 'real.mp4')),
      path.join(dir, 'not-a-video.mp4'),
    ];
    await writeFile(files[2]!, 'this is not a video\n'.repeat(100));
    const ids = await Promise.all(
      files.map(async (file, i) => {
        const key = `incoming/observed-${i}.mp4`;
        await deployment.bucket.put(key, readFileSync(file));
        const { etag } = await deployment.bucket.head(key);
        await deployment.publish('s3-events', deployment.s3Event(key, etag));
        return (await hashFile(file)).sha256;
      }),
    );
    const reports = await Promise.all(ids.map((id) => deployment.report(id)));
    expect(reports.map((r) => r.status)).toEqual(['done', 'done', 'failed']);
    // Wait until Prometheus has scraped the counts of all three reports.
    await eventually(async () => {
      const result = await prometheus.query('sum(deepsift_videos_processed_total)');
      return Number(result[0]?.value[1] ?? 0) >= 3 ? true : undefined;
    }, 30_000, 'Prometheus to scrape the three reports');
    // A rate needs an increase between two scrapes. Series that first appeared with all of
    // their counts (a fast run, a late scrape) never show one: a second video, sent once every
    // series exists and has been scraped, makes every counter and histogram move under
    // Prometheus's eyes; then wait until each has a rate.
    await eventually(async () => {
      for (const counter of ['deepsift_videos_processed_total', 'deepsift_crops_scored_total', 'deepsift_messages_total', 'deepsift_frames_sampled_total', 'deepsift_detector_batch_size_count']) {
        const samples = await prometheus.query(`min(count_over_time(${counter}[10m]))`);
        if (Number(samples[0]?.value[1] ?? 0) < 2) return undefined;
      }
      return true;
    }, 60_000, 'two scrapes of every counter');
    const second = await makeFaceVideo(path.join(faces, 'df', 'df01254.jpg'), path.join(dir, 'fake2.mp4'));
    await deployment.bucket.put('incoming/observed-3.mp4', readFileSync(second));
    const { etag } = await deployment.bucket.head('incoming/observed-3.mp4');
    await deployment.publish('s3-events', deployment.s3Event('incoming/observed-3.mp4', etag));
    expect((await deployment.report((await hashFile(second)).sha256)).status).toBe('done');
    await eventually(async () => {
      for (const counter of ['deepsift_videos_processed_total', 'deepsift_crops_scored_total', 'deepsift_messages_total', 'deepsift_frames_sampled_total', 'deepsift_detector_batch_size_count', 'deepsift_inference_duration_seconds_count', 'deepsift_stage_duration_seconds_count']) {
        const rate = await prometheus.query(`sum(rate(${counter}[${RATE_INTERVAL}]))`);
        if (!(Number(rate[0]?.value[1] ?? 0) > 0)) return undefined;
      }
      return true;
    }, 60_000, 'a rate on every counter');
  });

  afterAll(async () => {
    await prometheus?.close();
    await deployment?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('scrapes every worker through the repository\'s scrape configuration', async () => {
    const up = await prometheus.query('up{job="deepsift"}');
    expect(up.map((s) => [s.metric.service, s.value[1]]).sort()).toEqual(STAGES.map((s) => [s, '1']).sort());
  });

  const dashboards = readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json'));
  it.each(dashboards)('every panel query of %s returns data from the workers', async (file) => {
    const { queries, variables } = dashboardQueries(path.join(DASHBOARD_DIR, file));
    expect(queries.length).toBeGreaterThan(0);
    const values: Record<string, string[]> = {};
    for (const variable of variables) {
      const lookup = labelValuesQuery(variable);
      if (!lookup) throw new Error(`variable ${variable.name}: only label_values(metric, label) queries are supported here`);
      const found = await prometheus.api<string[]>(`label/${lookup.label}/values`, { 'match[]': lookup.metric });
      expect(found.length).toBeGreaterThan(0);
      values[variable.name] = found; // "All": every value
    }
    const exported = new Set(await prometheus.api<string[]>('label/__name__/values'));
    const missing = queries.flatMap((q) => metricNamesIn(q.expr).filter((name) => !exported.has(name)).map((name) => `${q.dashboard} / ${q.panel} / ${q.refId}: no worker exports ${name}`));
    expect(missing).toEqual([]);
    // What an operator who opens the dashboard right after the run sees: every panel shows a
    // line. Scrapes and rule evaluations land asynchronously, so a panel gets a minute to fill.
    const withoutData = async () => {
      const empty: typeof queries = [];
      const end = Date.now() / 1000;
      for (const q of queries) {
        const series = await prometheus.queryRange(resolveVariables(q.expr, values, RATE_INTERVAL), startedAt, end);
        if (!series.some((s) => s.values.some(([, v]) => v !== 'NaN'))) empty.push(q);
      }
      return empty;
    };
    let empty = await withoutData();
    for (const deadline = Date.now() + 60_000; empty.length > 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      empty = await withoutData();
    }
    // On failure, the raw samples behind each empty panel say why (no series, or no increase).
    const problems: string[] = [];
    for (const q of empty) {
      const samples: string[] = [];
      for (const name of metricNamesIn(q.expr)) {
        const raw = await prometheus.query(`${name}[${RATE_INTERVAL}]`) as unknown as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
        samples.push(`${name}: ${raw.length} series; ${raw.slice(0, 3).map((s) => JSON.stringify(s.metric) + ' ' + s.values.map(([t, v]) => `${(t - startedAt).toFixed(1)}s=${v}`).join(' ')).join('; ')}`);
      }
      problems.push(`${q.dashboard} / ${q.panel} / ${q.refId}: no data for ${q.expr}\n    ${samples.join('\n    ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('samples queue depth and consumers per stage queue, as the broker counts them', async () => {
    const consumers = await prometheus.query('max by (queue, stage) (deepsift_queue_consumers)');
    const byQueue = Object.fromEntries(consumers.map((s) => [s.metric.queue, { stage: s.metric.stage, consumers: Number(s.value[1]) }]));
    expect(byQueue['frame-extractor']).toEqual({ stage: 'frame-extractor', consumers: 1 });
    expect(byQueue['face-cropper']).toEqual({ stage: 'face-cropper', consumers: 1 });
    expect(byQueue['aggregator']).toEqual({ stage: 'aggregator', consumers: 1 });
    expect(byQueue['ingest.s3-events']).toEqual({ stage: 'ingest', consumers: 1 });
    expect(byQueue['frame-extractor.dead']).toEqual({ stage: 'frame-extractor', consumers: 0 });
    // rabbitmqctl's quorum-queue counts are statistics refreshed every few seconds: compare
    // once both sides have settled.
    const compare = async () => {
      const messages = await prometheus.query('max by (queue) (deepsift_queue_messages)');
      const depths = deployment.queueDepths();
      return messages.map((s) => ({ queue: s.metric.queue, gauge: Number(s.value[1]), broker: depths.get(s.metric.queue!)?.ready }));
    };
    let samples = await compare();
    await eventually(async () => ((samples = await compare()).every((s) => s.gauge === s.broker) ? true : undefined), 20_000, 'the gauges and the broker to agree').catch(() => undefined);
    expect(samples.length).toBe(byQueueCount(consumers));
    expect(samples.filter((s) => s.gauge !== s.broker)).toEqual([]);
  });

  it('loads the alert rules, evaluates them without error, and reads only exported metrics', async () => {
    const data = await prometheus.api<{ groups: Array<{ rules: Array<{ name: string; query: string; health: string; lastError?: string }> }> }>('rules');
    const rules = data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name)).toEqual(expect.arrayContaining(['DeepsiftBacklogGrowing', 'DeepsiftDeadLetters', 'DeepsiftFailedReports', 'DeepsiftStageWithoutConsumers']));
    const exported = new Set(await prometheus.api<string[]>('label/__name__/values'));
    for (const rule of rules) {
      expect({ rule: rule.name, health: rule.health, error: rule.lastError ?? '' }).toEqual({ rule: rule.name, health: 'ok', error: '' });
      expect({ rule: rule.name, missing: metricNamesIn(rule.query).filter((n) => !exported.has(n)) }).toEqual({ rule: rule.name, missing: [] });
    }
  });

  it('serves /healthz and /readyz beside /metrics: every check of a running worker is ok', async () => {
    for (const stage of STAGES) {
      const live = await fetch(`http://127.0.0.1:${ports[stage]}/healthz`);
      expect(live.status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${ports[stage]}/readyz`);
      const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }> };
      expect({ stage, status: ready.status, body: body.status }).toEqual({ stage, status: 200, body: 'ok' });
      expect(Object.keys(body.checks).sort()).toEqual(['broker', 'consumers', 'dependencies', 'models', 'storage']);
    }
  });

  it('shows a stage whose workers are gone as a queue without consumers, which the alert expression catches', async () => {
    await workers['face-cropper']!.stop();
    const rule = (parse(readFileSync(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> })
      .groups.flatMap((g) => g.rules)
      .find((r) => r.alert === 'DeepsiftStageWithoutConsumers')!;
    const firing = await eventually(async () => {
      const result = await prometheus.query(rule.expr);
      return result.length > 0 ? result : undefined;
    }, 30_000, 'the face-cropper queue to show no consumers');
    expect(firing.map((s) => [s.metric.queue, s.metric.stage])).toEqual([['face-cropper', 'face-cropper']]);

    // Work for the missing stage waits in its queue: the backlog gauge counts it, as the broker does.
    const file = path.join(dir, 'backlog.mp4');
    await makeFaceVideo(path.join(sharedDir(), 'faces', 'real', 'real00772.jpg'), file);
    await deployment.bucket.put('incoming/backlog.mp4', readFileSync(file));
    const { etag } = await deployment.bucket.head('incoming/backlog.mp4');
    await deployment.publish('s3-events', deployment.s3Event('incoming/backlog.mp4', etag));
    // rabbitmqctl's counts of quorum queues are statistics refreshed every few seconds, the
    // passive declaration's are live: wait until both have seen the message.
    const [gauge, broker] = await eventually(async () => {
      const result = await prometheus.query('max by (queue) (deepsift_queue_messages{queue="face-cropper"})');
      const seen = [Number(result[0]?.value[1] ?? 0), deployment.queueDepths().get('face-cropper')!.ready];
      return seen.every((n) => n >= 1) ? seen : undefined;
    }, 60_000, 'the face-cropper backlog to show');
    expect(gauge).toBe(broker);
  });
});

