/**
 * The on-disk cache of model files, laid out as `<cache>/<model>/<file>`. Every file
 * lands by an atomic rename of a fully written, checked temporary file, so a reader
 * never sees a partial or unverified file.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256File } from './file-hash';

/** Where file `file` of model `model` lives in the cache. */
export function cachedFilePath(cacheDir: string, model: string, file: string): string {
  return path.join(cacheDir, model, file);
}

/** Where the conversion record of a converted ONNX file lives: `<onnxFile>.json` beside it. */
export function conversionRecordPath(onnxPath: string): string {
  return `${onnxPath}.json`;
}

/**
 * Writes `destination` through a temporary file in the same folder: `write` fills the
 * temporary file, `check` sees its SHA-256 and may throw to reject it. The temporary
 * file is removed on any failure. Returns the SHA-256 of the installed file.
 */
export async function installFile(
  destination: string,
  write: (temporaryPath: string) => Promise<void>,
  check: (sha256: string) => void = () => undefined,
): Promise<string> {
  const folder = path.dirname(destination);
  await fs.promises.mkdir(folder, { recursive: true });
  const temporary = path.join(folder, `.${path.basename(destination)}.${randomUUID()}.partial`);
  try {
    await write(temporary);
    const sha256 = await sha256File(temporary);
    check(sha256);
    await fs.promises.rename(temporary, destination);
    return sha256;
  } catch (err) {
    await fs.promises.rm(temporary, { force: true });
    throw err;
  }
}

/** What the sidecar of a converted ONNX file records, so a stale conversion is redone. */
export interface ConversionRecord {
  converter: string;
  architecture: string;
  /** `ModelConverter.version` of the converter that wrote the file. */
  converterVersion: string;
  /** The upstream files converted, with their SHA-256. */
  sources: Array<{ name: string; sha256: string }>;
  /** SHA-256 of the ONNX file as written. */
  onnxSha256: string;
  /** ISO 8601 time of the conversion. */
  convertedAt: string;
}

/** The conversion record at `file`, or `undefined` when missing or unreadable. */
export async function readConversionRecord(file: string): Promise<ConversionRecord | undefined> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<ConversionRecord>;
    const complete =
      typeof value.converter === 'string' &&
      typeof value.architecture === 'string' &&
      typeof value.converterVersion === 'string' &&
      typeof value.onnxSha256 === 'string' &&
      Array.isArray(value.sources);
    // A damaged sidecar only costs a reconversion, so it is treated as absent.
    return complete ? (value as ConversionRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a conversion record atomically. */
export async function writeConversionRecord(file: string, record: ConversionRecord): Promise<void> {
  await installFile(file, (temporary) => fs.promises.writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`));
}

/** True when `record` describes a conversion of exactly these sources by this converter version. */
export function isConversionCurrent(
  record: ConversionRecord,
  expected: Pick<ConversionRecord, 'converter' | 'architecture' | 'converterVersion' | 'sources'>,
): boolean {
  return (
    record.converter === expected.converter &&
    record.architecture === expected.architecture &&
    record.converterVersion === expected.converterVersion &&
    record.sources.length === expected.sources.length &&
    expected.sources.every(
      (source, index) => record.sources[index]?.name === source.name && record.sources[index]?.sha256 === source.sha256,
    )
  );
}
