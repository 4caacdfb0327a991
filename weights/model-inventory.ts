/**
 * What the cache holds: `listModels` for `deepsift weights list`, `verifyModels` to
 * re-hash every cached file and report the ones that no longer match.
 */
import type { ModelKind, ModelManifest } from './manifest';
import { pickManifest } from './manifest-registry';
import { loadModelRegistry } from './model-registry';
import { sha256FileIfExists } from './file-hash';
import { cachedFilePath, conversionRecordPath, isConversionCurrent, readConversionRecord } from './weights-cache';
import { resolveWeightsOptions, type ResolvedWeightsOptions, type WeightsOptions } from './weights-options';

/** State of one cached file: `stale` is a conversion from other sources or another converter version. */
export type CachedFileState = 'ok' | 'missing' | 'mismatch' | 'stale';

/** One file of a model as found in the cache. */
export interface CachedFileCheck {
  file: string;
  path: string;
  state: CachedFileState;
  /** SHA-256 the file should have (for a conversion: the one its record holds), when known. */
  expectedSha256: string | undefined;
  /** SHA-256 found; undefined when the file is missing. */
  actualSha256: string | undefined;
}

/** One model's cache state. */
export interface ModelStatus {
  name: string;
  kind: ModelKind;
  description: string;
  /** The model card's licence (SPDX id). */
  license: string;
  /** Every file, including the ONNX graph, is present. */
  cached: boolean;
  /** Every file is present and matches its SHA-256 (and conversion record). */
  verified: boolean;
  onnxPath: string;
  files: CachedFileCheck[];
}

/** Every known model with its cache state; re-hashes cached files. */
export async function listModels(options: WeightsOptions = {}): Promise<ModelStatus[]> {
  const resolved = resolveWeightsOptions(options);
  const manifests = await loadModelRegistry(resolved);
  return Promise.all([...manifests.values()].map((manifest) => inspectModel(manifest, resolved)));
}

/** One model's manifest (its full card) with its cache state, for `deepsift weights show`. */
export async function showModel(name: string, options: WeightsOptions = {}): Promise<{ manifest: ModelManifest; status: ModelStatus }> {
  const resolved = resolveWeightsOptions(options);
  const manifest = pickManifest(await loadModelRegistry(resolved), name);
  return { manifest, status: await inspectModel(manifest, resolved) };
}

/** Result of re-hashing one model's cached files. */
export interface ModelVerification {
  name: string;
  /** `corrupt`: a cached file does not match; `not-cached`: something is missing, nothing is corrupt. */
  status: 'verified' | 'not-cached' | 'corrupt';
  /** The files that are not `ok`. */
  problems: CachedFileCheck[];
}

/** Re-hashes the cached files of `names` (default: every model) and reports mismatches. */
export async function verifyModels(options: WeightsOptions & { names?: readonly string[] } = {}): Promise<ModelVerification[]> {
  const resolved = resolveWeightsOptions(options);
  const manifests = await loadModelRegistry(resolved);
  const selected = options.names === undefined ? [...manifests.values()] : options.names.map((name) => pickManifest(manifests, name));
  const statuses = await Promise.all(selected.map((manifest) => inspectModel(manifest, resolved)));
  return statuses.map((status) => {
    const problems = status.files.filter((file) => file.state !== 'ok');
    const corrupt = problems.some((file) => file.state === 'mismatch' || file.state === 'stale');
    return { name: status.name, status: corrupt ? 'corrupt' : problems.length > 0 ? 'not-cached' : 'verified', problems };
  });
}

async function inspectModel(manifest: ModelManifest, options: ResolvedWeightsOptions): Promise<ModelStatus> {
  const files: CachedFileCheck[] = [];
  for (const file of manifest.files) {
    const filePath = cachedFilePath(options.cacheDir, manifest.name, file.name);
    const actual = await sha256FileIfExists(filePath);
    files.push({ file: file.name, path: filePath, state: stateOf(file.sha256, actual), expectedSha256: file.sha256, actualSha256: actual });
  }
  const onnxPath = cachedFilePath(options.cacheDir, manifest.name, manifest.onnxFile);
  if (manifest.converter !== undefined) files.push(await inspectConversion(manifest, onnxPath, options));
  return {
    name: manifest.name,
    kind: manifest.kind,
    description: manifest.description,
    license: manifest.card.license,
    cached: files.every((file) => file.state !== 'missing'),
    verified: files.every((file) => file.state === 'ok'),
    onnxPath,
    files,
  };
}

async function inspectConversion(manifest: ModelManifest, onnxPath: string, options: ResolvedWeightsOptions): Promise<CachedFileCheck> {
  const spec = manifest.converter;
  const actual = await sha256FileIfExists(onnxPath);
  const record = await readConversionRecord(conversionRecordPath(onnxPath));
  const check = { file: manifest.onnxFile, path: onnxPath, expectedSha256: record?.onnxSha256, actualSha256: actual };
  if (actual === undefined || spec === undefined) return { ...check, state: 'missing' };
  const current =
    record !== undefined &&
    isConversionCurrent(record, {
      converter: spec.name,
      architecture: 'architecture' in spec ? spec.architecture : '',
      converterVersion: options.converters[spec.name].version,
      sources: manifest.files.map((file) => ({ name: file.name, sha256: file.sha256 })),
    });
  if (!current) return { ...check, state: 'stale' };
  return { ...check, state: stateOf(record.onnxSha256, actual) };
}

function stateOf(expected: string, actual: string | undefined): CachedFileState {
  if (actual === undefined) return 'missing';
  return actual === expected ? 'ok' : 'mismatch';
}
