/**
 * A JSON Schema's validator (ajv). `npm run build` writes each validator's code ahead of time
 * (ajv's standalone code, `cli/precompile-validators.ts`) into `dist/precompiled-validators/`:
 * loading it costs ~5 ms of CPU, where loading ajv and compiling the schema cost ~150 for the
 * model manifests' alone, which every `deepsift scan` paid before its first video (measured).
 * Where that code is missing (the TypeScript sources run directly, as in the tests) or was
 * made from another version of the schema or options, the schema is compiled when first used.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type AjvType from 'ajv';

/** Where `npm run build` writes the validators' code: `dist/precompiled-validators/`. */
export const PRECOMPILED_VALIDATORS_DIR = path.join(__dirname, '..', 'precompiled-validators');

export class SchemaValidator<T = unknown> {
  private compiled: ValidateFunction<T> | undefined;
  /** Where the validator in use came from; undefined until first used. */
  origin: 'precompiled' | 'compiled' | undefined;

  constructor(
    /** Names its precompiled code's file (`<name>.js`): unique among validators. */
    readonly name: string,
    readonly schema: object,
    readonly options: Options = { allErrors: true },
    private readonly precompiledDir = PRECOMPILED_VALIDATORS_DIR,
  ) {}

  /** Whether `value` matches the schema; when it does not, `errors` say why. */
  validate(value: unknown): value is T {
    return this.validator()(value);
  }

  /** The errors of the last value that did not match. */
  get errors(): ErrorObject[] {
    return this.compiled?.errors ?? [];
  }

  /** Each error of the last value that did not match, as `path message`. */
  problems(): string[] {
    return this.errors.map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
  }

  /** ajv's one-line account of the last value that did not match, calling it `dataVar`. */
  errorsText(dataVar: string): string {
    errorDescriber ??= new (ajvClass())();
    return errorDescriber.errorsText(this.errors, { dataVar });
  }

  /** Loads or compiles the validator now rather than on first use (a broker consumer, as it starts). */
  prepare(): void {
    this.validator();
  }

  /**
   * The validator's code as a CommonJS module, ajv's standalone code, with the hash of the
   * schema and options it was made from (`schemaHash`), for `npm run build` to write.
   */
  standaloneModule(): string {
    const Ajv = ajvClass();
    const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default;
    const ajv = new Ajv({ ...this.options, code: { ...this.options.code, source: true } });
    return `${standaloneCode(ajv, ajv.compile(this.schema))}\nmodule.exports.schemaHash = ${JSON.stringify(this.schemaHash())};\n`;
  }

  private validator(): ValidateFunction<T> {
    if (this.compiled === undefined) {
      const precompiled = this.loadPrecompiled();
      this.origin = precompiled ? 'precompiled' : 'compiled';
      this.compiled = precompiled ?? new (ajvClass())(this.options).compile<T>(this.schema);
    }
    return this.compiled;
  }

  /** This schema's precompiled code, unless there is none or it was made from another schema. */
  private loadPrecompiled(): ValidateFunction<T> | undefined {
    const file = path.join(this.precompiledDir, `${this.name}.js`);
    if (!existsSync(file)) return undefined;
    const loaded = require(file) as ValidateFunction<T> & { schemaHash?: string };
    return loaded.schemaHash === this.schemaHash() ? loaded : undefined;
  }

  private schemaHash(): string {
    return createHash('sha256').update(JSON.stringify([this.schema, this.options])).digest('hex');
  }
}

/**
 * One ajv instance, made on the first invalid value, to word errors: `errorsText` reads no state
 * of its own, and an instance per rejected message would cost ~0.6 ms each (measured).
 */
let errorDescriber: AjvType | undefined;

/** ajv itself, loaded only where a schema is compiled or errors are described. */
function ajvClass(): typeof AjvType {
  return (require('ajv') as typeof import('ajv')).default;
}
