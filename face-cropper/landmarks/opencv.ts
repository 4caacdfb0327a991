/**
 * OpenCV for JavaScript (@techstark/opencv-js, Apache-2.0: OpenCV compiled to WebAssembly),
 * loaded once per process on first use: LRNet's calibration needs OpenCV's own resize and
 * pyramidal Lucas–Kanade so that it computes what upstream's Python does.
 */
import type cvModule from '@techstark/opencv-js';

/** The initialised OpenCV namespace. */
export type OpenCv = typeof cvModule;

/**
 * OpenCV wrapped in a plain object: the Emscripten module is a thenable (it has `then`),
 * and a promise resolved with a thenable adopts it again and again instead of resolving.
 */
export interface OpenCvHandle {
  cv: OpenCv;
}

let loading: Promise<OpenCvHandle> | undefined;

/** Resolves once OpenCV's WebAssembly runtime is ready (about a second the first time). */
export function loadOpenCv(): Promise<OpenCvHandle> {
  loading ??= new Promise<OpenCvHandle>((resolve, reject) => {
    try {
      const cv = require('@techstark/opencv-js') as OpenCv & { onRuntimeInitialized?: () => void };
      if (typeof (cv as { Mat?: unknown }).Mat === 'function') resolve({ cv });
      else cv.onRuntimeInitialized = () => resolve({ cv });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
  return loading;
}
