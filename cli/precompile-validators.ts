/**
 * Writes every JSON Schema validator's code ahead of time into `dist/precompiled-validators/`
 * (see `common/schema-validator.ts`): `npm run build` runs it after compiling the sources.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CALIBRATION_VALIDATOR } from '../aggregator/calibration';
import { REPORT_VALIDATOR } from '../aggregator/report';
import { ENVELOPE_VALIDATORS } from '../common/envelope';
import { PRECOMPILED_VALIDATORS_DIR, type SchemaValidator } from '../common/schema-validator';
import { CRAWLER_JOB_VALIDATOR } from '../ingest/crawler-job';
import { MANIFEST_VALIDATOR } from '../weights/manifest-validator';

/** Every validator of the project: the model manifests, crawler jobs, reports, calibration files and messages. */
export const SCHEMA_VALIDATORS: readonly SchemaValidator[] = [MANIFEST_VALIDATOR, CRAWLER_JOB_VALIDATOR, REPORT_VALIDATOR, CALIBRATION_VALIDATOR, ...ENVELOPE_VALIDATORS];

/** Writes `<name>.js` for each of `validators` into `dir`, replacing what was there. */
export function writePrecompiledValidators(dir: string, validators = SCHEMA_VALIDATORS): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const validator of validators) writeFileSync(path.join(dir, `${validator.name}.js`), validator.standaloneModule());
}

if (require.main === module) {
  writePrecompiledValidators(PRECOMPILED_VALIDATORS_DIR);
  process.stdout.write(`precompiled ${SCHEMA_VALIDATORS.length} JSON Schema validators into ${path.relative(process.cwd(), PRECOMPILED_VALIDATORS_DIR)}/\n`);
}
