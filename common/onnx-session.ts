/**
 * Creating ONNX Runtime sessions: once per model per process, on the first execution
 * provider of the configured list that works here (CUDA when the GPU build and a GPU
 * are present, CPU otherwise). The provider that runs is returned so callers log it.
 */
import * as ort from 'onnxruntime-node';

export interface OnnxSessionOptions {
  /** Providers in order of preference, e.g. ['cuda', 'cpu']. */
  executionProviders: string[];
  /** Intra-op threads; 0 lets ONNX Runtime choose. */
  intraOpThreads: number;
}

export interface OnnxSession {
  session: ort.InferenceSession;
  /** The execution provider the session was created with. */
  executionProvider: string;
  /** Why preferred providers were skipped, one entry per skipped provider. */
  skipped: string[];
}

/** Creates a session for `modelPath`, trying each provider in turn. */
export async function createOnnxSession(modelPath: string, options: OnnxSessionOptions): Promise<OnnxSession> {
  const skipped: string[] = [];
  const providers = options.executionProviders.length > 0 ? options.executionProviders : ['cpu'];
  for (const provider of providers) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
        ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
      });
      return { session, executionProvider: provider, skipped };
    } catch (error) {
      skipped.push(`${provider}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no execution provider could load ${modelPath} (${skipped.join('; ')})`);
}

export { ort };
