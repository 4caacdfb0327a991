import * as vm from 'node:vm';

/** The `h5wasm/node` module namespace. */
export type H5Wasm = typeof import('h5wasm/node', { with: { 'resolution-mode': 'import' } });

const H5WASM_SPECIFIER = 'h5wasm/node';

/**
 * Loads h5wasm, an ESM-only package, from this CommonJS code base.
 *
 * Compiled code reaches it with a plain `import()`, which TypeScript (module node16)
 * keeps as a real dynamic import. Under jest that `import()` is rewritten to
 * `require()`, which cannot load an ES module, and a real `import()` inside jest's VM
 * context needs `--experimental-vm-modules`; so when the plain import fails we import
 * through a function compiled in Node's main context, with Node's default ESM loader.
 * Values from that path come from another realm: callers must not use `instanceof`
 * on them.
 */
export async function loadH5wasm(): Promise<H5Wasm> {
  try {
    return await import('h5wasm/node');
  } catch (nativeError) {
    const mainContextLoader = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
    if (mainContextLoader === undefined) throw nativeError;
    const importInMainContext = vm.compileFunction('return import(specifier)', ['specifier'], {
      filename: __filename,
      importModuleDynamically: mainContextLoader,
    }) as (specifier: string) => Promise<H5Wasm>;
    return importInMainContext(H5WASM_SPECIFIER);
  }
}
