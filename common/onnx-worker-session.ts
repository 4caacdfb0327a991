/**
 * An ONNX Runtime session that lives in a worker thread. onnxruntime-node runs inference
 * synchronously on the calling thread, so a session on the main thread stalls everything
 * else: reading ffmpeg's frames, I/O, other models. Each session here gets its own thread;
 * inputs are transferred, not copied, and outputs come back as plain typed arrays. The input
 * buffers come back too, to be filled again (`inputBuffer`): a fresh 3.7 MB face-detector
 * tensor per frame costs more in page faults and garbage collection than filling it does.
 */
import { Worker } from 'node:worker_threads';

/** A tensor as it crosses the thread boundary. */
export interface TensorData {
  type: 'float32';
  data: Float32Array;
  dims: readonly number[];
}

/** What a model says about one of its inputs. */
export interface InputMetadata {
  name: string;
  isTensor: boolean;
  shape?: ReadonlyArray<number | string>;
}

/** The part of an ONNX Runtime session the pipeline uses. */
export interface OnnxSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly InputMetadata[];
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  /**
   * A buffer of `length` floats to fill (every element: its contents are undefined) and pass
   * to `run`: an earlier run's input, given back, when one of that length is free.
   */
  inputBuffer?(length: number): Float32Array;
  release(): Promise<void>;
}

/** Free input buffers kept per length: one being filled while another is in the worker. */
const MAX_FREE_INPUTS_PER_LENGTH = 2;

/**
 * The worker's code. It is plain JavaScript evaluated by `new Worker(..., { eval: true })`
 * so that it runs the same from the TypeScript sources (tests) and from dist/.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
ort.InferenceSession.create(workerData.modelPath, workerData.sessionOptions).then(
  (created) => {
    session = created;
    parentPort.postMessage({ kind: 'ready', inputNames: session.inputNames, outputNames: session.outputNames,
      inputMetadata: (session.inputMetadata || []).map((m) => ({ name: m.name, isTensor: m.isTensor, shape: m.shape })) });
  },
  (error) => parentPort.postMessage({ kind: 'failed', message: String((error && error.message) || error) }),
);
parentPort.on('message', async (message) => {
  if (message.kind !== 'run') return;
  try {
    const feeds = {};
    for (const [name, t] of Object.entries(message.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    const results = await session.run(feeds);
    const outputs = {};
    // The inputs go back to be refilled; the tensors that wrapped them are done with.
    const inputs = Object.values(message.feeds).map((t) => t.data);
    const transfer = inputs.map((data) => data.buffer);
    for (const [name, t] of Object.entries(results)) {
      // ONNX Runtime gives each output an ArrayBuffer of its own, which moves to the caller as
      // it is; a view into a larger buffer would be copied first.
      const whole = t.data instanceof Float32Array && t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength;
      const data = whole ? t.data : new Float32Array(t.data);
      outputs[name] = { type: t.type, data, dims: t.dims };
      transfer.push(data.buffer);
    }
    parentPort.postMessage({ kind: 'result', id: message.id, outputs, inputs }, transfer);
  } catch (error) {
    parentPort.postMessage({ kind: 'result', id: message.id, error: String((error && error.message) || error) });
  }
});
`;

interface Pending {
  resolve(outputs: Record<string, TensorData>): void;
  reject(error: Error): void;
}

/** Creates a session for `modelPath` in a new worker thread. */
export async function createWorkerSession(modelPath: string, sessionOptions: object): Promise<OnnxSessionLike> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ortPath: require.resolve('onnxruntime-node'), modelPath, sessionOptions },
  });
  const ready = await new Promise<{ inputNames: string[]; outputNames: string[]; inputMetadata: InputMetadata[] }>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { kind: string; message?: string; inputNames: string[]; outputNames: string[]; inputMetadata: InputMetadata[] }) => {
      if (message.kind === 'ready') resolve(message);
      else reject(new Error(message.message ?? 'the inference worker failed to start'));
    });
  }).catch(async (error: Error) => {
    await worker.terminate();
    throw error;
  });

  const pending = new Map<number, Pending>();
  const freeInputs = new Map<number, Float32Array[]>();
  const giveBack = (data: Float32Array): void => {
    const free = freeInputs.get(data.length) ?? [];
    if (free.length < MAX_FREE_INPUTS_PER_LENGTH) free.push(data);
    freeInputs.set(data.length, free);
  };
  let nextId = 0;
  let closed = false;
  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (message: { kind: string; id: number; outputs?: Record<string, TensorData>; inputs?: Float32Array[]; error?: string }) => {
    const p = pending.get(message.id);
    if (message.kind !== 'result' || !p) return;
    for (const data of message.inputs ?? []) giveBack(data);
    pending.delete(message.id);
    if (message.error !== undefined) p.reject(new Error(message.error));
    else p.resolve(message.outputs!);
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) => failAll(new Error(`the inference worker exited (code ${code})`)));

  return {
    inputNames: ready.inputNames,
    outputNames: ready.outputNames,
    inputMetadata: ready.inputMetadata,
    run(feeds) {
      if (closed) return Promise.reject(new Error('the session was released'));
      const id = nextId++;
      const plain: Record<string, TensorData> = {};
      const transfer: ArrayBuffer[] = [];
      for (const [name, tensor] of Object.entries(feeds)) {
        plain[name] = { type: tensor.type, data: tensor.data, dims: [...tensor.dims] };
        transfer.push(tensor.data.buffer as ArrayBuffer);
      }
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ kind: 'run', id, feeds: plain }, transfer);
      });
    },
    inputBuffer(length) {
      return freeInputs.get(length)?.pop() ?? new Float32Array(length);
    },
    async release() {
      if (closed) return;
      closed = true;
      await worker.terminate();
    },
  };
}
