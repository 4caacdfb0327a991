/**
 * Options of the weights fetcher: one resolved, typed object built once from explicit
 * options and the environment. `WEIGHTS_ENVIRONMENT` is the one place each variable is
 * documented; the README's configuration table is generated from it.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { WeightsConfigError } from './weights-errors';
import type { RetryPolicy } from '../common/retry-policy';
import { DEFAULT_DOWNLOAD_RETRY_POLICY } from './download-retry-policy';
import { defaultModelsDir } from './manifest-registry';
import { DEFAULT_CONVERTERS, type ConverterSet } from './model-converters';

/** Idle timeout of a download: no response or no body bytes for this long aborts the attempt. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
/** Largest file the fetcher accepts when the manifest does not give the exact size. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024;

/** One documented environment variable. */
export interface EnvironmentVariableDoc {
  variable: string;
  defaultValue: string;
  description: string;
}

/** Every environment variable the weights module reads, with its default. */
export const WEIGHTS_ENVIRONMENT: readonly EnvironmentVariableDoc[] = [
  {
    variable: 'DEEPSIFT_CACHE_DIR',
    defaultValue: '$XDG_CACHE_HOME/deepsift, else ~/.cache/deepsift',
    description: 'Writable cache of model files, laid out as <cache>/<model>/<file>.',
  },
  {
    variable: 'DEEPSIFT_WEIGHTS_MIRROR',
    defaultValue: '(none)',
    description: 'Read-only folder holding upstream files at their manifest mirrorPath; used instead of the network when a file is there.',
  },
  {
    variable: 'DEEPSIFT_WEIGHTS_BASE_URL',
    defaultValue: '(none: upstream URLs)',
    description: 'HTTP(S) server with the mirror layout; a file is fetched from <base>/<mirrorPath> instead of its upstream URL.',
  },
  {
    variable: 'DEEPSIFT_MODELS_DIR',
    defaultValue: '(none)',
    description: `Folders of your own detector manifests (ONNX, no converter), separated by "${path.delimiter}"; added to the built-in ones.`,
  },
  {
    variable: 'DEEPSIFT_FETCH_TIMEOUT_MS',
    defaultValue: String(DEFAULT_FETCH_TIMEOUT_MS),
    description: 'Milliseconds a download may wait for a response or for the next body bytes before the attempt is abandoned.',
  },
];

/** What the fetcher reports while it works; for progress bars and logs. */
export type WeightsProgressEvent =
  | { type: 'cache-hit'; model: string; file: string; path: string }
  | { type: 'mirror-copy'; model: string; file: string; source: string }
  | { type: 'download-start'; model: string; file: string; url: string; attempt: number }
  | { type: 'download-progress'; model: string; file: string; receivedBytes: number; totalBytes: number | undefined }
  | { type: 'download-retry'; model: string; file: string; url: string; attempt: number; delayMs: number; error: Error }
  | { type: 'cache-invalid'; model: string; file: string; path: string }
  | { type: 'convert'; model: string; converter: string };

/** Options a caller may set; anything left out comes from the environment or a default. */
export interface WeightsOptions {
  /** Cache folder; default from `DEEPSIFT_CACHE_DIR` / `XDG_CACHE_HOME`. */
  cacheDir?: string;
  /** Mirror folder; `null` disables the mirror even when `DEEPSIFT_WEIGHTS_MIRROR` is set. */
  mirrorDir?: string | null;
  /** Base URL replacing upstream URLs; `null` disables `DEEPSIFT_WEIGHTS_BASE_URL`. */
  baseUrl?: string | null;
  /** Folder of manifests; default `<package root>/weights/models`. */
  modelsDir?: string;
  /** Folders of users' manifests added to `modelsDir`; default from `DEEPSIFT_MODELS_DIR`. */
  userModelsDirs?: readonly string[];
  /** Idle timeout of one download attempt, in milliseconds. */
  fetchTimeoutMs?: number;
  /** Size cap of a download whose manifest gives no `sizeBytes`. */
  maxDownloadBytes?: number;
  /** Retries of dropped connections, timeouts and 5xx responses. */
  retryPolicy?: RetryPolicy;
  /** Progress callback; called synchronously, must not throw. */
  onProgress?: (event: WeightsProgressEvent) => void;
  /** Converters by manifest converter name; tests pass fakes. */
  converters?: ConverterSet;
  /** Environment to read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Options with every value decided. */
export interface ResolvedWeightsOptions {
  cacheDir: string;
  mirrorDir: string | undefined;
  baseUrl: string | undefined;
  modelsDir: string;
  userModelsDirs: string[];
  fetchTimeoutMs: number;
  maxDownloadBytes: number;
  retryPolicy: RetryPolicy;
  onProgress: (event: WeightsProgressEvent) => void;
  converters: ConverterSet;
}

/** Cache folder from the environment: `DEEPSIFT_CACHE_DIR`, else XDG, else `~/.cache/deepsift`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = nonEmpty(env.DEEPSIFT_CACHE_DIR);
  if (explicit !== undefined) return path.resolve(explicit);
  // The XDG Base Directory spec says relative XDG_CACHE_HOME values are to be ignored.
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'deepsift');
}

/** Merges explicit options, the environment and defaults; fails fast on invalid values. */
export function resolveWeightsOptions(options: WeightsOptions = {}): ResolvedWeightsOptions {
  const env = options.env ?? process.env;
  const mirrorDir = options.mirrorDir === null ? undefined : (options.mirrorDir ?? nonEmpty(env.DEEPSIFT_WEIGHTS_MIRROR));
  const baseUrl = options.baseUrl === null ? undefined : (options.baseUrl ?? nonEmpty(env.DEEPSIFT_WEIGHTS_BASE_URL));
  return {
    cacheDir: options.cacheDir !== undefined ? path.resolve(options.cacheDir) : defaultCacheDir(env),
    mirrorDir: mirrorDir !== undefined ? path.resolve(mirrorDir) : undefined,
    baseUrl: baseUrl !== undefined ? checkBaseUrl(baseUrl, options.baseUrl != null ? 'baseUrl' : 'DEEPSIFT_WEIGHTS_BASE_URL') : undefined,
    modelsDir: options.modelsDir ?? defaultModelsDir(),
    userModelsDirs: (options.userModelsDirs ?? splitDirs(env.DEEPSIFT_MODELS_DIR)).map((dir) => path.resolve(dir)),
    fetchTimeoutMs:
      options.fetchTimeoutMs ??
      parsePositiveInteger(env.DEEPSIFT_FETCH_TIMEOUT_MS, 'DEEPSIFT_FETCH_TIMEOUT_MS') ??
      DEFAULT_FETCH_TIMEOUT_MS,
    maxDownloadBytes: options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES,
    retryPolicy: options.retryPolicy ?? DEFAULT_DOWNLOAD_RETRY_POLICY,
    onProgress: options.onProgress ?? (() => undefined),
    converters: options.converters ?? DEFAULT_CONVERTERS,
  };
}

/** `DEEPSIFT_MODELS_DIR`: folders separated by the platform's path delimiter (`:`). */
export function splitDirs(value: string | undefined): string[] {
  return (value ?? '').split(path.delimiter).map((dir) => dir.trim()).filter(Boolean);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function checkBaseUrl(value: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WeightsConfigError(variable, `"${value}" is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WeightsConfigError(variable, `"${value}" must be an http: or https: URL.`);
  }
  return value.replace(/\/+$/, '');
}

function parsePositiveInteger(value: string | undefined, variable: string): number | undefined {
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  const parsed = Number(text);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new WeightsConfigError(variable, `"${text}" is not a positive whole number of milliseconds.`);
  }
  return parsed;
}
