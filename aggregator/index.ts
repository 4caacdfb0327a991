export { AggregatorStage, type AggregatorDeps, type AggregatorOptions, type ReportAnnouncement } from './aggregator-stage';
export { DeadLetterReporter, type DeadLetterReporterDeps } from './dead-letter-reporter';
export { TEMPORAL_AGGREGATION, buildDoneReport, buildFailedReport, type DetectorPolicy, type ReportSettings } from './build-report';
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
  type ReportCalibration,
} from './report';
export {
  CALIBRATION_SCHEMA_VERSION,
  CalibrationError,
  calibrateDetectorScore,
  logit,
  parseCalibration,
  readCalibrationFile,
  sigmoid,
  stackEnsembleScore,
  type Calibration,
  type DetectorCalibration,
  type EnsembleCalibration,
  type LoadedCalibration,
} from './calibration';
export { calibrationMismatches, type ScanSettings } from './calibration-fit-check';
