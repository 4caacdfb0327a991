import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import NodeEnvironment from 'jest-environment-node';

/** Typed-array constructors that native addons (ONNX Runtime) create outside jest's sandbox. */
const TYPED_ARRAYS = [
  'Float32Array', 'Float64Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array',
] as const;

/**
 * Jest's node environment with the host's typed-array constructors. ONNX Runtime's output
 * tensors are host-realm `Float32Array`s, which fail onnxruntime-common's `instanceof` check
 * inside jest's vm sandbox ("A float32 tensor's data must be type of function Float32Array()",
 * microsoft/onnxruntime#16622). It is the test environment of every suite (package.json "jest").
 */
export default class OnnxTestEnvironment extends NodeEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    Object.assign(this.global, Object.fromEntries(TYPED_ARRAYS.map((name) => [name, globalThis[name]])));
  }
}
