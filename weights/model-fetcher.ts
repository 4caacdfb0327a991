/**
 * Puts a model's files in the cache: each upstream file from the cache, the mirror or
 * the network (in that order), verified against the manifest's SHA-256, then the
 * conversion to ONNX when the manifest names a converter.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ManifestConverter, ManifestFile, ModelManifest } from './manifest';
import { pickManifest } from './manifest-registry';
import { loadModelRegistry } from './model-registry';
import { downloadFile } from './downloader';
import { sha256FileIfExists } from './file-hash';
import {
  cachedFilePath,
  conversionRecordPath,
  installFile,
  isConversionCurrent,
  readConversionRecord,
  writeConversionRecord,
} from './weights-cache';
import { resolveWeightsOptions, type ResolvedWeightsOptions, type WeightsOptions } from './weights-options';
import { ChecksumError, ConversionError, ManifestError, WeightsError } from './weights-errors';

/** A model ready for ONNX Runtime. */
export interface EnsuredModel {
  manifest: ModelManifest;
  /** Absolute path of the ONNX graph in the cache. */
  onnxPath: string;
  /** SHA-256 of the ONNX file. */
  sha256: string;
}

/** Makes sure model `name` is cached and converted, fetching what is missing; used by `scan` on first use. */
export async function ensureModel(name: string, options: WeightsOptions = {}): Promise<EnsuredModel> {
  const resolved = resolveWeightsOptions(options);
  const manifests = await loadModelRegistry(resolved);
  return ensureManifest(pickManifest(manifests, name), resolved);
}

/** Ensures several models (or `'all'`), one after the other; stops at the first failure. */
export async function fetchModels(names: readonly string[] | 'all', options: WeightsOptions = {}): Promise<EnsuredModel[]> {
  const resolved = resolveWeightsOptions(options);
  const manifests = await loadModelRegistry(resolved);
  // Every name is checked before anything is fetched, so a typo fails fast.
  const selected = names === 'all' ? [...manifests.values()] : names.map((name) => pickManifest(manifests, name));
  const ensured: EnsuredModel[] = [];
  for (const manifest of selected) ensured.push(await ensureManifest(manifest, resolved));
  return ensured;
}

/** The URL a file is downloaded from: upstream, or `<baseUrl>/<mirrorPath>` when a base URL is set. */
export function sourceUrl(file: ManifestFile, baseUrl: string | undefined): string {
  if (baseUrl === undefined || file.mirrorPath === undefined) return file.url ?? `file://${file.path ?? ''}`;
  const encodedPath = file.mirrorPath.split('/').map(encodeURIComponent).join('/');
  return `${baseUrl.replace(/\/+$/, '')}/${encodedPath}`;
}

async function ensureManifest(manifest: ModelManifest, options: ResolvedWeightsOptions): Promise<EnsuredModel> {
  for (const file of manifest.files) await ensureUpstreamFile(manifest.name, file, options);
  const onnxPath = cachedFilePath(options.cacheDir, manifest.name, manifest.onnxFile);
  if (manifest.converter !== undefined) return ensureConversion(manifest, manifest.converter, onnxPath, options);
  const onnx = manifest.files.find((file) => file.name === manifest.onnxFile);
  // validateManifest guarantees that onnxFile names an upstream file when there is no converter.
  if (onnx === undefined) throw new Error(`Manifest ${manifest.name} names no upstream ONNX file.`);
  return { manifest, onnxPath, sha256: onnx.sha256 };
}

/**
 * One upstream file, verified against its SHA-256, at `<cacheDir>/<group>/<file.name>`: a
 * cache hit, else a copy from the mirror (`mirrorDir/<file.mirrorPath>`), else a download
 * from `file.url` (or `baseUrl/<file.mirrorPath>`). What models are made of, and test data.
 */
export async function ensureVerifiedFile(group: string, file: ManifestFile, options: WeightsOptions = {}): Promise<string> {
  return ensureUpstreamFile(group, file, resolveWeightsOptions(options));
}

async function ensureUpstreamFile(model: string, file: ManifestFile, options: ResolvedWeightsOptions): Promise<string> {
  const destination = cachedFilePath(options.cacheDir, model, file.name);
  const cached = await sha256FileIfExists(destination);
  if (cached === file.sha256) {
    options.onProgress({ type: 'cache-hit', model, file: file.name, path: destination });
    return destination;
  }
  if (cached !== undefined) options.onProgress({ type: 'cache-invalid', model, file: file.name, path: destination });

  // A user's local file (DEEPSIFT_MODELS_DIR) is copied like a mirrored one and verified the same way.
  const mirrored =
    file.path !== undefined ? file.path : options.mirrorDir === undefined || file.mirrorPath === undefined ? undefined : path.join(options.mirrorDir, file.mirrorPath);
  if (file.path !== undefined && !fs.existsSync(file.path)) {
    throw new ManifestError(model, '/files', `the local file ${file.path} does not exist.`);
  }
  if (mirrored !== undefined && fs.existsSync(mirrored)) {
    options.onProgress({ type: 'mirror-copy', model, file: file.name, source: mirrored });
    // Streamed rather than copyFile, which would also copy the mirror's read-only mode into the cache.
    const copy = (temporary: string) => pipeline(fs.createReadStream(mirrored), fs.createWriteStream(temporary));
    await installFile(destination, copy, expectSha256(model, file, mirrored));
    return destination;
  }

  const url = sourceUrl(file, options.baseUrl);
  await installFile(
    destination,
    async (temporary) => {
      await downloadFile({
        url,
        destination: temporary,
        maxBytes: file.sizeBytes ?? options.maxDownloadBytes,
        idleTimeoutMs: options.fetchTimeoutMs,
        retryPolicy: options.retryPolicy,
        onAttempt: (attempt) => options.onProgress({ type: 'download-start', model, file: file.name, url, attempt }),
        onBytes: (receivedBytes, totalBytes) =>
          options.onProgress({ type: 'download-progress', model, file: file.name, receivedBytes, totalBytes }),
        onRetry: (attempt, delayMs, error) =>
          options.onProgress({ type: 'download-retry', model, file: file.name, url, attempt, delayMs, error }),
      });
    },
    expectSha256(model, file, url),
  );
  return destination;
}

function expectSha256(model: string, file: ManifestFile, source: string): (actual: string) => void {
  return (actual) => {
    if (actual !== file.sha256) throw new ChecksumError({ model, file: file.name, source, expected: file.sha256, actual });
  };
}

async function ensureConversion(
  manifest: ModelManifest,
  spec: ManifestConverter,
  onnxPath: string,
  options: ResolvedWeightsOptions,
): Promise<EnsuredModel> {
  const converter = options.converters[spec.name];
  const expected = {
    converter: spec.name,
    architecture: 'architecture' in spec ? spec.architecture : '',
    converterVersion: converter.version,
    sources: manifest.files.map((file) => ({ name: file.name, sha256: file.sha256 })),
  };
  const recordPath = conversionRecordPath(onnxPath);
  const [record, actual] = await Promise.all([readConversionRecord(recordPath), sha256FileIfExists(onnxPath)]);
  if (record !== undefined && actual === record.onnxSha256 && isConversionCurrent(record, expected)) {
    options.onProgress({ type: 'cache-hit', model: manifest.name, file: manifest.onnxFile, path: onnxPath });
    return { manifest, onnxPath, sha256: actual };
  }

  options.onProgress({ type: 'convert', model: manifest.name, converter: spec.name });
  const sources = await Promise.all(
    manifest.files.map((file) => fs.promises.readFile(cachedFilePath(options.cacheDir, manifest.name, file.name))),
  );
  let onnx: Uint8Array;
  try {
    onnx = await converter.convert(sources, spec, manifest.name);
  } catch (err) {
    if (err instanceof WeightsError) throw err;
    throw new ConversionError(manifest.name, spec.name, (err as Error).message, { cause: err });
  }
  // The record is written after the ONNX file: a crash in between leaves no record, so the conversion is redone.
  const sha256 = await installFile(onnxPath, (temporary) => fs.promises.writeFile(temporary, onnx));
  await writeConversionRecord(recordPath, { ...expected, onnxSha256: sha256, convertedAt: new Date().toISOString() });
  return { manifest, onnxPath, sha256 };
}
