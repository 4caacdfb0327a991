/**
 * Validation of model manifests against `manifest-schema.json` (ajv), plus the
 * cross-field rules a JSON Schema cannot state. Invalid input is a `ManifestError`
 * naming the file and the field.
 */
import type { ErrorObject } from 'ajv';
import { SchemaValidator } from '../common/schema-validator';
import schema from './manifest-schema.json';
import type { ModelManifest } from './manifest';
import { ManifestError } from './weights-errors';

/**
 * The manifests' schema validator; exported for `npm run build` to precompile it. strictRequired
 * is off because the if/then rule requires fields declared at the top level.
 */
export const MANIFEST_VALIDATOR = new SchemaValidator<ModelManifest>('model-manifest', schema, { allErrors: true, strict: true, strictRequired: false });

/**
 * Checks a parsed manifest and returns it typed; throws `ManifestError` naming `file`
 * and the first offending field (all schema errors are listed in the message).
 */
export function validateManifest(json: unknown, file = '<inline>'): ModelManifest {
  if (!MANIFEST_VALIDATOR.validate(json)) {
    const errors = MANIFEST_VALIDATOR.errors.filter((error) => error.keyword !== 'if');
    const [first] = errors;
    if (first === undefined) throw new ManifestError(file, '', 'does not match the manifest schema.');
    const detail = errors.map((error) => `${fieldOf(error)} ${describe(error)}`).join('; ');
    throw new ManifestError(file, fieldOf(first), `${describe(first)}${errors.length > 1 ? ` (all errors: ${detail})` : ''}.`);
  }
  checkCrossFieldRules(json, file);
  return json;
}

function checkCrossFieldRules(manifest: ModelManifest, file: string): void {
  const names = manifest.files.map((entry) => entry.name);
  names.forEach((name, index) => {
    if (names.indexOf(name) !== index) {
      throw new ManifestError(file, `/files/${index}/name`, `repeats the file name "${name}".`);
    }
  });
  const isUpstream = names.includes(manifest.onnxFile);
  if (manifest.converter === undefined && !isUpstream) {
    throw new ManifestError(file, '/onnxFile', `"${manifest.onnxFile}" must name one of the files when there is no converter.`);
  }
  if (manifest.converter !== undefined && isUpstream) {
    throw new ManifestError(file, '/onnxFile', `"${manifest.onnxFile}" is the converter's output and must not name an upstream file.`);
  }
}

function fieldOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `${error.instancePath}/${String(params.missingProperty)}`;
  if (error.keyword === 'additionalProperties') return `${error.instancePath}/${String(params.additionalProperty)}`;
  return error.instancePath;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a manifest field';
    case 'enum':
      return `must be one of ${JSON.stringify(params.allowedValues)}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return error.message ?? 'is invalid';
  }
}
