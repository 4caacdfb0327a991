/**
 * A JSON Schema's validator (ajv), compiled when first used rather than when its module
 * loads: compiling costs milliseconds per schema, and most commands never validate most
 * schemas (`deepsift scan` validates no broker message, crawler job or calibration file).
 * The envelopes' validators share one Ajv instance instead (`common/envelope.ts`): each in an
 * instance of its own, a broker consumer's start compiles them ~40 % slower.
 */
import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';

export class SchemaValidator<T = unknown> {
  private ajv: Ajv | undefined;
  private compiled: ValidateFunction<T> | undefined;

  constructor(
    private readonly schema: object,
    private readonly options: Options = { allErrors: true },
  ) {}

  /** Whether `value` matches the schema; when it does not, `errors` say why. */
  validate(value: unknown): value is T {
    return this.compile()(value);
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
    return this.ajv?.errorsText(this.errors, { dataVar }) ?? '';
  }

  private compile(): ValidateFunction<T> {
    if (this.compiled === undefined) {
      this.ajv = new Ajv(this.options);
      this.compiled = this.ajv.compile<T>(this.schema);
    }
    return this.compiled;
  }
}
