/**
 * The labelled videos of a dataset, from one of three sources: a folder with `real/` and
 * `fake/` subfolders (any depth; a folder above them names the subset), a CSV
 * (`path,label[,subset]`, label REAL/FAKE or 0/1) or a DFDC `metadata.json`
 * (`{ "file.mp4": { "label": "FAKE" } }`). Paths in a labels file are relative to the dataset
 * folder. Bad labels, missing files and duplicates are errors that name every offender.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { expandLocalInputs } from '../ingest';
import { EvaluationError } from './evaluation-error';

/** A ground-truth label. */
export type TruthLabel = 'REAL' | 'FAKE';

/** One video with its ground truth. */
export interface LabelledVideo {
  /** Path relative to the dataset folder, with `/` separators (absolute if it lies outside). */
  name: string;
  /** Absolute path. */
  path: string;
  label: TruthLabel;
  subset?: string;
}

/** What the labels source gave, and the videos found on disk that it does not name. */
export interface LabelledDataset {
  videos: LabelledVideo[];
  /** Videos under the dataset folder that the labels file does not list (labels files only). */
  unlisted: string[];
}

/** At most this many offenders are named in one error message. */
const MAX_NAMED = 10;

/** Reads the labels of `dataset`: from `labelsFile` when given (CSV or DFDC JSON), else from its folders. */
export async function loadLabelledDataset(dataset: string, labelsFile?: string): Promise<LabelledDataset> {
  const root = path.resolve(dataset);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new EvaluationError('BAD_LABELS', `dataset ${dataset} is not a folder`);
  }
  const onDisk = (await expandLocalInputs([root])).map((input) => input.path);
  if (labelsFile === undefined) {
    const videos = labelsFromFolders(root, onDisk);
    if (videos.length === 0) {
      throw new EvaluationError('EMPTY_DATASET', `no video found under ${dataset} (expected real/ and fake/ subfolders, or --labels FILE)`);
    }
    return { videos, unlisted: [] };
  }
  const entries = await readLabelsFile(labelsFile);
  const videos = resolveEntries(root, entries, labelsFile);
  const listed = new Set(videos.map((v) => v.path));
  return { videos, unlisted: onDisk.filter((file) => !listed.has(file)).map((file) => displayName(root, file)) };
}

/** Parses a label: REAL/FAKE in any case, or 0/1 (1 = FAKE). */
export function parseTruthLabel(value: unknown): TruthLabel | undefined {
  const text = String(value ?? '').trim().toUpperCase();
  if (text === 'FAKE' || text === '1') return 'FAKE';
  if (text === 'REAL' || text === '0') return 'REAL';
  return undefined;
}

interface LabelEntry {
  /** Where it came from, for messages: `labels.csv line 4`. */
  where: string;
  path: string;
  label: unknown;
  subset?: string;
}

function labelsFromFolders(root: string, files: string[]): LabelledVideo[] {
  const videos: LabelledVideo[] = [];
  const unlabelled: string[] = [];
  for (const file of files) {
    const parts = path.relative(root, file).split(path.sep);
    const folders = parts.slice(0, -1);
    const at = findLastIndex(folders, (f) => parseFolderLabel(f) !== undefined);
    if (at < 0) {
      unlabelled.push(parts.join('/'));
      continue;
    }
    videos.push({
      name: parts.join('/'),
      path: file,
      label: parseFolderLabel(folders[at]!)!,
      ...(at > 0 ? { subset: folders.slice(0, at).join('/') } : {}),
    });
  }
  if (unlabelled.length > 0) {
    throw new EvaluationError('UNKNOWN_LABEL', `${unlabelled.length} video(s) are under neither a real/ nor a fake/ folder: ${list(unlabelled)}`);
  }
  return videos;
}

function parseFolderLabel(folder: string): TruthLabel | undefined {
  const name = folder.toLowerCase();
  return name === 'real' ? 'REAL' : name === 'fake' ? 'FAKE' : undefined;
}

async function readLabelsFile(file: string): Promise<LabelEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new EvaluationError('BAD_LABELS', `cannot read the labels file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const base = path.basename(file);
  if (file.toLowerCase().endsWith('.json')) return jsonEntries(text, base);
  return csvEntries(text, base);
}

function jsonEntries(text: string, base: string): LabelEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new EvaluationError('BAD_LABELS', `${base} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new EvaluationError('BAD_LABELS', `${base} must be an object mapping file names to { "label": "REAL" | "FAKE" } (DFDC metadata.json)`);
  }
  return Object.entries(data as Record<string, unknown>).map(([name, value]) => {
    const entry = (value ?? {}) as { label?: unknown; subset?: unknown };
    return { where: `${base} entry "${name}"`, path: name, label: entry.label, ...(typeof entry.subset === 'string' ? { subset: entry.subset } : {}) };
  });
}

function csvEntries(text: string, base: string): LabelEntry[] {
  let rows: string[][];
  try {
    rows = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true, bom: true }) as string[][];
  } catch (error) {
    throw new EvaluationError('BAD_LABELS', `${base} is not valid CSV: ${(error as Error).message}`, { cause: error });
  }
  const hasHeader = rows[0]?.[0]?.toLowerCase() === 'path';
  const header = hasHeader ? rows[0]!.map((h) => h.toLowerCase()) : ['path', 'label', 'subset'];
  const column = (name: string) => header.indexOf(name);
  if (column('path') < 0 || column('label') < 0) throw new EvaluationError('BAD_LABELS', `${base} needs the columns path and label`);
  return rows.slice(hasHeader ? 1 : 0).map((row, i) => {
    const subset = column('subset') >= 0 ? row[column('subset')] : undefined;
    return {
      where: `${base} line ${i + (hasHeader ? 2 : 1)}`,
      path: row[column('path')] ?? '',
      label: row[column('label')],
      ...(subset ? { subset } : {}),
    };
  });
}

function resolveEntries(root: string, entries: LabelEntry[], labelsFile: string): LabelledVideo[] {
  if (entries.length === 0) throw new EvaluationError('EMPTY_DATASET', `${labelsFile} lists no video`);
  const unknown = entries.filter((e) => parseTruthLabel(e.label) === undefined).map((e) => `${e.where}: "${String(e.label ?? '')}"`);
  if (unknown.length > 0) {
    throw new EvaluationError('UNKNOWN_LABEL', `${unknown.length} unknown label(s) (expected REAL, FAKE, 0 or 1): ${list(unknown)}`);
  }
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  const missing: string[] = [];
  const videos: LabelledVideo[] = [];
  for (const entry of entries) {
    const absolute = path.resolve(root, entry.path);
    const first = seen.get(absolute);
    if (first !== undefined) {
      duplicates.push(`${entry.where} repeats ${first}`);
      continue;
    }
    seen.set(absolute, entry.where);
    if (!existsSync(absolute) || !statSync(absolute).isFile()) missing.push(`${entry.path} (${entry.where})`);
    videos.push({ name: displayName(root, absolute), path: absolute, label: parseTruthLabel(entry.label)!, ...(entry.subset ? { subset: entry.subset } : {}) });
  }
  if (duplicates.length > 0) throw new EvaluationError('DUPLICATE_VIDEO', `${duplicates.length} video(s) listed twice: ${list(duplicates)}`);
  if (missing.length > 0) {
    throw new EvaluationError('MISSING_VIDEO', `${missing.length} labelled video(s) not found under ${root}: ${list(missing)}`);
  }
  return videos;
}

function displayName(root: string, file: string): string {
  const relative = path.relative(root, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

function list(items: string[]): string {
  const named = items.slice(0, MAX_NAMED).join('; ');
  return items.length > MAX_NAMED ? `${named}; and ${items.length - MAX_NAMED} more` : named;
}

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return i;
  return -1;
}
