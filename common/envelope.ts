/** Building and validating envelopes. */
import { randomUUID } from 'node:crypto';
import Ajv, { type ValidateFunction } from 'ajv';
import { InvalidMessageError } from './errors';
import { MESSAGE_SCHEMA_VERSION, type AnyEnvelope, type Envelope, type MessageType, type PayloadByType } from './messages';
import { PAYLOAD_SCHEMAS } from './message-schemas';

/** Wraps a payload in a new envelope. */
export function createEnvelope<T extends MessageType>(
  type: T,
  videoId: string,
  correlationId: string,
  payload: PayloadByType[T],
): Envelope<T> {
  return {
    id: randomUUID(),
    type,
    schemaVersion: MESSAGE_SCHEMA_VERSION,
    videoId,
    correlationId,
    createdAt: new Date().toISOString(),
    payload,
  };
}

const ENVELOPE_SCHEMA = {
  type: 'object',
  required: ['id', 'type', 'schemaVersion', 'videoId', 'correlationId', 'createdAt', 'payload'],
  properties: {
    id: { type: 'string', minLength: 1 },
    type: { enum: Object.keys(PAYLOAD_SCHEMAS) },
    schemaVersion: { const: MESSAGE_SCHEMA_VERSION },
    videoId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    correlationId: { type: 'string', minLength: 1 },
    createdAt: { type: 'string' },
    payload: { type: 'object' },
  },
};

/** The compiled validators: the envelope's shape, and each message type's payload. */
interface EnvelopeValidators {
  ajv: Ajv;
  shape: ValidateFunction;
  payloads: Map<string, ValidateFunction>;
}

/**
 * Compiled once, when first needed: only messages from the broker are validated, and its
 * consumers compile the validators as they start (`prepareEnvelopeValidation`). `deepsift
 * scan` never does, and compiling them takes as long as loading the rest of the pipeline.
 */
let validators: EnvelopeValidators | undefined;

/** Compiles the validators unless done already: a broker consumer does it as it starts, not on its first messages. */
export function prepareEnvelopeValidation(): EnvelopeValidators {
  if (validators === undefined) {
    const ajv = new Ajv({ allErrors: true });
    validators = {
      ajv,
      shape: ajv.compile(ENVELOPE_SCHEMA),
      payloads: new Map(Object.entries(PAYLOAD_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)])),
    };
  }
  return validators;
}

/**
 * Checks that `value` is a well-formed envelope of a known type with a valid payload.
 * Throws `InvalidMessageError` naming the first problems found.
 */
export function validateEnvelope(value: unknown): AnyEnvelope {
  const { ajv, shape, payloads } = prepareEnvelopeValidation();
  if (!shape(value)) {
    throw new InvalidMessageError(`invalid envelope: ${ajv.errorsText(shape.errors)}`);
  }
  const envelope = value as unknown as AnyEnvelope;
  const validatePayload = payloads.get(envelope.type)!;
  if (!validatePayload(envelope.payload)) {
    throw new InvalidMessageError(
      `invalid ${envelope.type} payload: ${ajv.errorsText(validatePayload.errors, { dataVar: 'payload' })}`,
    );
  }
  return envelope;
}

/** Parses and validates an envelope from bytes or text received from outside. */
export function parseEnvelope(raw: Buffer | string): AnyEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch (error) {
    throw new InvalidMessageError('message is not valid JSON', { cause: error });
  }
  return validateEnvelope(value);
}
