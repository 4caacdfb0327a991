/**
 * Creating ONNX Runtime sessions: once per model per process, each in its own worker
 * thread (see onnx-worker-session.ts), on the first execution provider of the configured
 * list that works here (CUDA when the GPU build and a GPU are present, CPU otherwise).
 * The provider that runs is returned so callers log it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createWorkerSession, type OnnxSessionLike } from './onnx-worker-session';

/** ONNX Runtime's graph optimisation levels, as onnxruntime-node names them. */
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface OnnxSessionOptions {
  /** Providers in order of preference, e.g. ['cuda', 'cpu']. */
  executionProviders: string[];
  /** Intra-op threads; 0 lets ONNX Runtime choose. */
  intraOpThreads: number;
  /** Graph optimisation level; `all` when absent (a model's manifest may ask for less). */
  graphOptimizationLevel?: GraphOptimizationLevel;
}

export interface OnnxSession {
  session: OnnxSessionLike;
  /** The execution provider the session was created with. */
  executionProvider: string;
  /** The graph optimisation level the session was created with. */
  graphOptimizationLevel: GraphOptimizationLevel;
  /** Why preferred providers were skipped, one entry per skipped provider. */
  skipped: string[];
}

/** Creates a session for `modelPath`, trying each provider in turn. */
export async function createOnnxSession(modelPath: string, options: OnnxSessionOptions): Promise<OnnxSession> {
  const skipped: string[] = [];
  const providers = options.executionProviders.length > 0 ? options.executionProviders : ['cpu'];
  const graphOptimizationLevel = options.graphOptimizationLevel ?? 'all';
  for (const provider of providers) {
    const missing = missingProviderLibrary(provider);
    if (missing) {
      skipped.push(`${provider}: ${missing}`);
      continue;
    }
    try {
      const session = await createWorkerSession(modelPath, {
        executionProviders: [provider],
        graphOptimizationLevel,
        logSeverityLevel: 3,
        ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
      });
      return { session, executionProvider: provider, graphOptimizationLevel, skipped };
    } catch (error) {
      skipped.push(`${provider}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no execution provider could load ${modelPath} (${skipped.join('; ')})`);
}


/** The ONNX Runtime settings a model's manifest may name (`onnxRuntime` in weights/manifest-schema.json). */
export interface ModelRuntimeSettings {
  onnxRuntime?: { graphOptimizationLevel?: GraphOptimizationLevel };
}

/** {@link createOnnxSession} for a model described by a manifest: the manifest's own settings win over `options`. */
export function createModelSession(model: ModelRuntimeSettings, modelPath: string, options: OnnxSessionOptions): Promise<OnnxSession> {
  return createOnnxSession(modelPath, { ...options, graphOptimizationLevel: model.onnxRuntime?.graphOptimizationLevel ?? options.graphOptimizationLevel });
}

/**
 * Why a provider cannot load here, checked before asking ONNX Runtime (which would print
 * a native error): the CUDA provider ships as a separate library that the npm install
 * only downloads without ONNXRUNTIME_NODE_INSTALL=skip.
 */
function missingProviderLibrary(provider: string): string | undefined {
  if (provider !== 'cuda' && provider !== 'tensorrt') return undefined;
  if (process.platform !== 'linux' && process.platform !== 'win32') return `not available on ${process.platform}`;
  const binDir = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  const library = process.platform === 'win32' ? `onnxruntime_providers_${provider}.dll` : `libonnxruntime_providers_${provider}.so`;
  return existsSync(path.join(binDir, library)) ? undefined : `${library} is not installed (onnxruntime-node was installed without its GPU libraries)`;
}
