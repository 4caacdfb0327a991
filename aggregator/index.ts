export { AggregatorStage, type AggregatorDeps } from './aggregator-stage';
export { buildDoneReport, buildFailedReport, type DetectorPolicy, type ReportSettings } from './build-report';
export {
  aggregateVideoScore,
  confidentStrategyScore,
  ensembleScore,
  trackMaxScore,
  verdict,
  type FaceScore,
} from './aggregation';
export {
  REPORT_SCHEMA_VERSION,
  reportKey,
  reportSchemaErrors,
  type VideoReport,
  type DetectorResult,
  type FaceTrackReport,
  type FaceFrame,
  type Label,
  type ModelReport,
} from './report';
