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

/** The envelope's shape validator, and each message type's payload validator compiled so far. */
interface EnvelopeValidators {
  ajv: Ajv;
  shape: ValidateFunction;
  payloads: Map<string, ValidateFunction>;
}

/**
 * Compiled when first needed, and each payload type's when a message of that type is first
 * validated: a broker consumer compiles them all as it starts (`prepareEnvelopeValidation`),
 * while `deepsift scan` validates only the jobs it submits, and compiling every type would cost
 * it 0.15 s before its first video.
 */
let validators: EnvelopeValidators | undefined;

/** The Ajv instance and the envelope's shape validator, made on first use. */
function envelopeValidators(): EnvelopeValidators {
  if (validators === undefined) {
    const ajv = new Ajv({ allErrors: true });
    validators = { ajv, shape: ajv.compile(ENVELOPE_SCHEMA), payloads: new Map() };
  }
  return validators;
}

/** The validator of one known message type's payload, compiled on first use. */
function payloadValidator(type: MessageType): ValidateFunction {
  const { ajv, payloads } = envelopeValidators();
  let validate = payloads.get(type);
  if (validate === undefined) {
    validate = ajv.compile(PAYLOAD_SCHEMAS[type]);
    payloads.set(type, validate);
  }
  return validate;
}

/** Compiles every validator unless done already: a broker consumer does it as it starts, not on its first messages. */
export function prepareEnvelopeValidation(): void {
  for (const type of Object.keys(PAYLOAD_SCHEMAS) as MessageType[]) payloadValidator(type);
}

/**
 * Checks that `value` is a well-formed envelope of a known type with a valid payload.
 * Throws `InvalidMessageError` naming the first problems found.
 */
export function validateEnvelope(value: unknown): AnyEnvelope {
  const { ajv, shape } = envelopeValidators();
  if (!shape(value)) {
    throw new InvalidMessageError(`invalid envelope: ${ajv.errorsText(shape.errors)}`);
  }
  const envelope = value as unknown as AnyEnvelope;
  const validatePayload = payloadValidator(envelope.type);
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
