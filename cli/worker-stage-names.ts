/** What `deepsift worker <stage>` accepts: a stage, or `all` of them in one process. */
export const WORKER_STAGES = ['ingest', 'frame-extractor', 'face-cropper', 'detector-workers', 'aggregator', 'all'] as const;
export type WorkerStage = (typeof WORKER_STAGES)[number];
