/** Building and validating envelopes. */
import { randomUUID } from 'node:crypto';
import { InvalidMessageError } from './errors';
import { MESSAGE_SCHEMA_VERSION, type AnyEnvelope, type Envelope, type MessageType, type PayloadByType } from './messages';
import { PAYLOAD_SCHEMAS } from './message-schemas';
import { SchemaValidator } from './schema-validator';

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

/** The envelope's shape; each message type's payload has a validator of its own. */
const SHAPE_VALIDATOR = new SchemaValidator('envelope', ENVELOPE_SCHEMA);
const PAYLOAD_VALIDATORS = new Map(Object.entries(PAYLOAD_SCHEMAS).map(([type, schema]) => [type, new SchemaValidator(`payload.${type}`, schema)]));

/** Every envelope validator, for `npm run build` to precompile (see `SchemaValidator`). */
export const ENVELOPE_VALIDATORS: readonly SchemaValidator[] = [SHAPE_VALIDATOR, ...PAYLOAD_VALIDATORS.values()];

/**
 * Loads (or compiles) every envelope validator unless done already: a broker consumer does it
 * as it starts, not on its first messages. Otherwise each is loaded when first used:
 * `deepsift scan` validates only the jobs it submits.
 */
export function prepareEnvelopeValidation(): void {
  for (const validator of ENVELOPE_VALIDATORS) validator.prepare();
}

/**
 * Checks that `value` is a well-formed envelope of a known type with a valid payload.
 * Throws `InvalidMessageError` naming the first problems found.
 */
export function validateEnvelope(value: unknown): AnyEnvelope {
  if (!SHAPE_VALIDATOR.validate(value)) {
    throw new InvalidMessageError(`invalid envelope: ${SHAPE_VALIDATOR.errorsText('data')}`);
  }
  const envelope = value as unknown as AnyEnvelope;
  // The shape's enum admits known types only.
  const payload = PAYLOAD_VALIDATORS.get(envelope.type)!;
  if (!payload.validate(envelope.payload)) {
    throw new InvalidMessageError(`invalid ${envelope.type} payload: ${payload.errorsText('payload')}`);
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
