/**
 * Jobs: one per submission, with its status, stage and outcome, kept in memory (the most
 * recent `maxJobs`) and announced as events. Two jobs for the same bytes and detectors share
 * one analysis while it runs.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { VideoReport } from '../aggregator';
import type { Logger } from '../common';
import type { AnalysisBackend, AnalysisSource } from './analysis-backend';

/** Where a job is. */
export type JobStatus = 'queued' | 'processing' | 'done' | 'failed';

/** A job as the API shows it. */
export interface JobView {
  id: string;
  status: JobStatus;
  /** The step it is at: upload, download, queued, analysis, report. */
  stage: string;
  /** SHA-256 of the video's bytes; null until they are known. */
  videoId: string | null;
  /** What was submitted: the upload's file name or the URI. */
  source: string;
  detectors: string[];
  label: VideoReport['label'];
  score: number | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
}

/** A finished report, as announced on the event stream. */
export interface ReportEvent {
  jobId: string;
  videoId: string;
  status: VideoReport['status'];
  label: VideoReport['label'];
  score: number | null;
  error: VideoReport['error'] | null;
}

/** Most recent jobs kept. */
export const DEFAULT_MAX_JOBS = 1000;

/** The jobs of this server, their analyses and their events. */
export class JobService {
  private readonly jobs = new Map<string, JobView>();
  private readonly inFlight = new Map<string, Promise<VideoReport>>();
  private readonly emitter = new EventEmitter();

  constructor(
    private readonly backend: AnalysisBackend,
    private readonly logger: Logger,
    private readonly maxJobs = DEFAULT_MAX_JOBS,
  ) {
    this.emitter.setMaxListeners(0);
  }

  /** Creates a job for `source` and starts its analysis; returns the job as it is now. */
  submit(source: AnalysisSource, name: string, detectors: string[]): JobView {
    const now = new Date().toISOString();
    const job: JobView = {
      id: randomUUID(),
      status: 'queued',
      stage: 'stored' in source ? 'queued' : 'download',
      videoId: 'stored' in source ? source.stored.videoId : null,
      source: name,
      detectors,
      label: null,
      score: null,
      error: null,
      createdAt: now,
      updatedAt: now,
    };
    this.jobs.set(job.id, job);
    this.trim();
    this.emit(job);
    void this.run(job, source);
    return { ...job };
  }

  get(id: string): JobView | undefined {
    const job = this.jobs.get(id);
    return job && { ...job };
  }

  /** Jobs, most recent first. */
  list(offset: number, limit: number): { jobs: JobView[]; total: number } {
    const all = [...this.jobs.values()].reverse();
    return { jobs: all.slice(offset, offset + limit).map((j) => ({ ...j })), total: all.length };
  }

  /** Calls `listener` with every job update and report until the returned function is called. */
  subscribe(listener: (event: { type: 'job'; data: JobView } | { type: 'report'; data: ReportEvent }) => void): () => void {
    const onJob = (data: JobView) => listener({ type: 'job', data });
    const onReport = (data: ReportEvent) => listener({ type: 'report', data });
    this.emitter.on('job', onJob);
    this.emitter.on('report', onReport);
    return () => {
      this.emitter.off('job', onJob);
      this.emitter.off('report', onReport);
    };
  }

  private async run(job: JobView, source: AnalysisSource): Promise<void> {
    const update = (changes: Partial<JobView>) => {
      Object.assign(job, changes, { updatedAt: new Date().toISOString() });
      this.emit(job);
    };
    try {
      const report = await this.analysis(job, source, {
        onVideoId: (videoId) => update({ videoId }),
        onStage: (stage) => update({ status: 'processing', stage }),
      });
      update({
        status: report.status === 'done' ? 'done' : 'failed',
        stage: 'report',
        videoId: report.videoId,
        label: report.label,
        score: report.score,
        error: report.error ? { code: report.error.code, message: report.error.message } : null,
      });
      this.emitter.emit('report', {
        jobId: job.id,
        videoId: report.videoId,
        status: report.status,
        label: report.label,
        score: report.score,
        error: report.error ?? null,
      } satisfies ReportEvent);
    } catch (error) {
      const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'INTERNAL';
      this.logger.warn('Analysis failed before a report.', { jobId: job.id, code, error: (error as Error).message });
      update({ status: 'failed', error: { code, message: (error as Error).message } });
    }
  }

  /** One analysis per video and detector set while it runs; other jobs for it wait on that one. */
  private analysis(job: JobView, source: AnalysisSource, hooks: Parameters<AnalysisBackend['analyse']>[3]): Promise<VideoReport> {
    if (!('stored' in source)) return this.backend.analyse(source, job.detectors, job.id, hooks);
    const key = `${source.stored.videoId}:${[...job.detectors].sort().join(',')}`;
    let running = this.inFlight.get(key);
    if (!running) {
      running = this.backend.analyse(source, job.detectors, job.id, hooks).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, running);
    } else {
      hooks.onStage('analysis');
    }
    return running;
  }

  private emit(job: JobView): void {
    this.emitter.emit('job', { ...job });
  }

  private trim(): void {
    while (this.jobs.size > this.maxJobs) {
      const oldest = this.jobs.keys().next().value as string;
      this.jobs.delete(oldest);
    }
  }
}
