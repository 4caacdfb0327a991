/** Public API of the evaluation module: labels, metrics, bootstrap, calibration fitting, charts and output. */
export { EvaluationError, type EvaluationErrorCode } from './evaluation-error';
export {
  LOG_LOSS_EPSILON,
  assertScoredSample,
  averagePrecision,
  confusionMatrix,
  logLoss,
  rocAuc,
  rankingMetrics,
  rocCurve,
  thresholdForFpr,
  thresholdRates,
  youdenThreshold,
  type ConfusionMatrix,
  type RocPoint,
  type ThresholdRates,
} from './binary-metrics';
export { averageRanks, correlationMatrices, pearson, spearman, type CorrelationMatrix } from './correlation';
export {
  DEFAULT_BOOTSTRAP_RESAMPLES,
  DEFAULT_BOOTSTRAP_SEED,
  bootstrapEstimate,
  percentileInterval,
  seededRandom,
  stratifiedResamples,
  type BootstrapOptions,
  type Estimate,
} from './bootstrap';
export { fitLogistic, predictLogistic, type LogisticModel } from './logistic-regression';
export { loadLabelledDataset, parseTruthLabel, type LabelledDataset, type LabelledVideo, type TruthLabel } from './labelled-videos';
export { buildScoreTable, detectorScore, type ExcludedVideo, type ExclusionReason, type ReportedVideo, type ScoredVideo } from './score-table';
export { measureScores, type MetricSet } from './detector-metrics';
export { evaluate, type CalibrationSummary, type EvaluateOptions, type EvaluationResult, type MeasuredSample } from './evaluate';
export { DEFAULT_CV_FOLDS, PLATT_L2, STACKER_L2, fitCalibration, type FitCalibrationOptions } from './fit-calibration';
export { measureCalibrated } from './calibrated-metrics';
export { evaluationTable } from './evaluation-table';
export { evaluationMarkdown } from './evaluation-markdown';
export { evaluationCharts } from './evaluation-charts';
// The renderer (`./chart-renderer`, Vega + sharp) is left out on purpose: loading Vega takes
// ~0.3 s, so `deepsift eval` imports it only when it writes charts.
export type { RenderedChart } from './chart-renderer';
