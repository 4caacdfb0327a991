/**
 * A restricted reader of Python pickles (protocols 2 to 4), enough for the `data.pkl` of a
 * PyTorch checkpoint holding a `state_dict`. Unlike Python's unpickler it never runs
 * code: a GLOBAL opcode yields a `PickleGlobal` marker, and REDUCE, BUILD and persistent
 * ids are handed to the caller's `PickleHooks`, which decide what they mean (or refuse).
 * Opcodes follow CPython's `Lib/pickletools.py`.
 */
import { LrnetConversionError } from './checkpoint-error';

/** A `module.name` reference (GLOBAL / STACK_GLOBAL); nothing is imported. */
export interface PickleGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}

/** A value of the unpickled object graph. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | ReadonlyArray<PickleValue>
  | Map<PickleValue, PickleValue>
  | PickleGlobal
  | { readonly kind: 'object'; readonly value: unknown };

/** What REDUCE, BUILD and BINPERSID mean; the caller's whitelist. */
export interface PickleHooks {
  /** `callable(*args)`; throw for a callable that is not allowed. */
  reduce(callable: PickleValue, args: readonly PickleValue[]): PickleValue;
  /** `object.__setstate__(state)`; returns the object. */
  build(object: PickleValue, state: PickleValue): PickleValue;
  /** Resolves a persistent id (PyTorch: a storage record). */
  persistentLoad(pid: PickleValue): PickleValue;
}

/** Wraps a caller's own value (a tensor, a storage) so that it travels through the pickle machine. */
export function opaque(value: unknown): PickleValue {
  return { kind: 'object', value };
}

/** True for a GLOBAL marker naming `module.name`. */
export function isGlobal(value: PickleValue, module: string, name: string): boolean {
  return isGlobalValue(value) && value.module === module && value.name === name;
}

/** True for any GLOBAL marker. */
export function isGlobalValue(value: PickleValue): value is PickleGlobal {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as PickleGlobal).kind === 'global';
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** Unpickles `bytes`; throws `LrnetConversionError` INVALID_PICKLE on anything unexpected. */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let position = 0;

  const need = (count: number): number => {
    if (position + count > bytes.length) throw invalid('the pickle ends early');
    const at = position;
    position += count;
    return at;
  };
  const text = (length: number): string => new TextDecoder().decode(bytes.subarray(need(length), position));
  const line = (): string => {
    const end = bytes.indexOf(0x0a, position);
    if (end < 0) throw invalid('a text argument has no end of line');
    const value = new TextDecoder().decode(bytes.subarray(position, end));
    position = end + 1;
    return value;
  };
  const pop = (): PickleValue => {
    const value = stack.pop();
    if (value === undefined || value === MARK) throw invalid('the stack is empty');
    return value;
  };
  const popToMark = (): PickleValue[] => {
    const mark = stack.lastIndexOf(MARK);
    if (mark < 0) throw invalid('no MARK on the stack');
    const items = stack.splice(mark) as PickleValue[];
    return items.slice(1);
  };
  const top = (): PickleValue => {
    const value = stack[stack.length - 1];
    if (value === undefined || value === MARK) throw invalid('the stack is empty');
    return value;
  };
  const setItems = (target: PickleValue, items: PickleValue[]): void => {
    if (!(target instanceof Map)) throw invalid('SETITEMS on something that is not a dict');
    for (let index = 0; index + 1 < items.length; index += 2) target.set(items[index]!, items[index + 1]!);
  };
  const append = (target: PickleValue, items: PickleValue[]): void => {
    if (!Array.isArray(target)) throw invalid('APPENDS on something that is not a list');
    (target as PickleValue[]).push(...items);
  };

  for (;;) {
    const opcode = bytes[need(1)]!;
    switch (opcode) {
      case 0x80: need(1); break; // PROTO
      case 0x95: need(8); break; // FRAME (protocol 4): the frame length only
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(view.getUint8(need(1))); break; // BININT1
      case 0x4d: stack.push(view.getUint16(need(2), true)); break; // BININT2
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x8a: { const length = view.getUint8(need(1)); stack.push(long(bytes.subarray(need(length), position))); break; } // LONG1
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: stack.push(text(view.getUint32(need(4), true))); break; // BINUNICODE
      case 0x8c: stack.push(text(view.getUint8(need(1)))); break; // SHORT_BINUNICODE
      case 0x54: stack.push(text(view.getInt32(need(4), true))); break; // BINSTRING
      case 0x55: stack.push(text(view.getUint8(need(1)))); break; // SHORT_BINSTRING
      case 0x42: { const length = view.getUint32(need(4), true); stack.push(bytes.slice(need(length), position)); break; } // BINBYTES
      case 0x43: { const length = view.getUint8(need(1)); stack.push(bytes.slice(need(length), position)); break; } // SHORT_BINBYTES
      case 0x29: stack.push(Object.freeze([]) as ReadonlyArray<PickleValue>); break; // EMPTY_TUPLE
      case 0x74: stack.push(Object.freeze(popToMark())); break; // TUPLE
      case 0x85: stack.push(Object.freeze([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(Object.freeze([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(Object.freeze([a, b, c])); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popToMark()); break; // LIST
      case 0x61: { const item = pop(); append(top(), [item]); break; } // APPEND
      case 0x65: { const items = popToMark(); append(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x73: { const value = pop(); const key = pop(); setItems(top(), [key, value]); break; } // SETITEM
      case 0x75: { const items = popToMark(); setItems(top(), items); break; } // SETITEMS
      case 0x71: memo.set(view.getUint8(need(1)), top()); break; // BINPUT
      case 0x72: memo.set(view.getUint32(need(4), true), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(recall(memo, view.getUint8(need(1)))); break; // BINGET
      case 0x6a: stack.push(recall(memo, view.getUint32(need(4), true))); break; // LONG_BINGET
      case 0x63: { const module = line(); const name = line(); stack.push({ kind: 'global', module, name }); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); stack.push({ kind: 'global', module: String(module), name: String(name) }); break; } // STACK_GLOBAL
      case 0x52: { const args = pop(); const callable = pop(); stack.push(hooks.reduce(callable, asTuple(args))); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(hooks.reduce(cls, asTuple(args))); break; } // NEWOBJ
      case 0x62: { const state = pop(); const object = pop(); stack.push(hooks.build(object, state)); break; } // BUILD
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      default:
        throw invalid(`unsupported opcode 0x${opcode.toString(16)} at byte ${position - 1}`);
    }
  }
}

function recall(memo: Map<number, PickleValue>, index: number): PickleValue {
  const value = memo.get(index);
  if (value === undefined) throw invalid(`memo entry ${index} is missing`);
  return value;
}

function asTuple(value: PickleValue): readonly PickleValue[] {
  if (!Array.isArray(value)) throw invalid('arguments are not a tuple');
  return value as readonly PickleValue[];
}

/** A little-endian two's-complement integer (LONG1); a number when it is safe, else a bigint. */
function long(digits: Uint8Array): number | bigint {
  let value = 0n;
  for (let index = digits.length - 1; index >= 0; index -= 1) value = (value << 8n) | BigInt(digits[index]!);
  if (digits.length > 0 && digits[digits.length - 1]! >= 0x80) value -= 1n << BigInt(8 * digits.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function invalid(detail: string): LrnetConversionError {
  return new LrnetConversionError('INVALID_PICKLE', `Cannot read the checkpoint's pickle: ${detail}.`);
}
