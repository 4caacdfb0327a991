/**
 * Reads the `state_dict` of a PyTorch zip checkpoint (`torch.save`, PyTorch ≥ 1.6): the
 * archive holds `<root>/data.pkl` (the pickled dict of tensors) and one raw little-endian
 * storage per tensor at `<root>/data/<key>`. Only float32 tensors are read; only the
 * callables a state_dict needs are allowed (see `STATE_DICT_HOOKS`).
 */
import { LrnetConversionError } from './checkpoint-error';
import { isGlobal, isGlobalValue, opaque, unpickle, type PickleHooks, type PickleValue } from './restricted-unpickler';
import { ZipArchive } from './zip-archive';

/** A float32 tensor of a checkpoint, row-major (contiguous) values. */
export interface CheckpointTensor {
  shape: number[];
  values: Float32Array;
}

/** A persistent id of torch.save: a storage of `numel` elements at `data/<key>`. */
interface StorageRecord {
  dtype: string;
  key: string;
  numel: number;
}

/** Arguments of `torch._utils._rebuild_tensor_v2`. */
interface TensorRecord {
  storage: StorageRecord;
  offset: number;
  shape: number[];
  stride: number[];
}

/** Storage classes torch.save names, and the element size of those this reader accepts. */
const FLOAT32_STORAGES = new Set(['FloatStorage']);

/** The tensors of a checkpoint's state_dict by parameter name, e.g. `gru.weight_ih_l0`. */
export function readPytorchStateDict(bytes: Uint8Array): Map<string, CheckpointTensor> {
  const archive = ZipArchive.open(bytes);
  const pickleName = archive.names().find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickleName === undefined) {
    throw new LrnetConversionError('INVALID_ZIP', 'Not a PyTorch zip checkpoint: no <root>/data.pkl entry.');
  }
  const root = pickleName.slice(0, -'data.pkl'.length);
  const stateDict = unpickle(archive.read(pickleName), STATE_DICT_HOOKS);
  if (!(stateDict instanceof Map)) {
    throw new LrnetConversionError('INVALID_PICKLE', 'The checkpoint does not hold a state_dict (a dict of tensors).');
  }
  const tensors = new Map<string, CheckpointTensor>();
  for (const [name, value] of stateDict) {
    const record = tensorRecordOf(value);
    if (typeof name !== 'string' || record === undefined) {
      throw new LrnetConversionError('INVALID_PICKLE', `State_dict entry ${String(name)} is not a tensor.`);
    }
    tensors.set(name, materialise(name, record, archive.read(`${root}data/${record.storage.key}`)));
  }
  return tensors;
}

/** The whitelist: OrderedDict, tensor and parameter rebuilds, storage ids; anything else is refused. */
const STATE_DICT_HOOKS: PickleHooks = {
  reduce(callable, args) {
    if (isGlobal(callable, 'collections', 'OrderedDict') && args.length === 0) return new Map();
    if (isGlobal(callable, 'torch._utils', '_rebuild_tensor_v2')) return opaque(rebuildTensor(args));
    if (isGlobal(callable, 'torch._utils', '_rebuild_parameter')) return args[0] ?? null;
    const what = isGlobalValue(callable) ? `${callable.module}.${callable.name}` : typeof callable;
    throw new LrnetConversionError('INVALID_PICKLE', `The checkpoint calls ${what}, which a state_dict does not need.`);
  },
  // OrderedDict's state is its `_metadata` attribute (module versions): not needed.
  build: (object) => object,
  persistentLoad(pid) {
    const [tag, storageType, key, , numel] = Array.isArray(pid) ? (pid as PickleValue[]) : [];
    if (tag !== 'storage' || !isGlobalValue(storageType ?? null) || typeof key !== 'string' || typeof numel !== 'number') {
      throw new LrnetConversionError('INVALID_PICKLE', 'A persistent id is not a torch storage record.');
    }
    return opaque({ dtype: (storageType as { name: string }).name, key, numel } satisfies StorageRecord);
  },
};

function rebuildTensor(args: readonly PickleValue[]): TensorRecord {
  const [storage, offset, shape, stride] = args;
  const storageRecord = opaqueValue(storage ?? null) as StorageRecord | undefined;
  if (storageRecord === undefined || typeof offset !== 'number' || !isIntList(shape) || !isIntList(stride)) {
    throw new LrnetConversionError('INVALID_PICKLE', 'A tensor record has unexpected arguments.');
  }
  return { storage: storageRecord, offset, shape: [...shape], stride: [...stride] };
}

/** Copies a tensor's elements (any strides) out of its storage bytes into row-major order. */
function materialise(name: string, record: TensorRecord, storageBytes: Uint8Array): CheckpointTensor {
  const { storage, offset, shape, stride } = record;
  if (!FLOAT32_STORAGES.has(storage.dtype)) {
    throw new LrnetConversionError('UNSUPPORTED_TENSOR', `Tensor ${name} is a ${storage.dtype}; only float32 tensors are read.`);
  }
  if (storageBytes.length !== storage.numel * 4) {
    throw new LrnetConversionError('INVALID_ZIP', `Storage ${storage.key} holds ${storageBytes.length} bytes, expected ${storage.numel * 4}.`);
  }
  const view = new DataView(storageBytes.buffer, storageBytes.byteOffset, storageBytes.byteLength);
  const count = shape.reduce((product, dim) => product * dim, 1);
  const values = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < count; flat += 1) {
    let element = offset;
    for (let axis = 0; axis < shape.length; axis += 1) element += index[axis]! * stride[axis]!;
    if (element >= storage.numel) throw new LrnetConversionError('INVALID_ZIP', `Tensor ${name} reads past its storage.`);
    values[flat] = view.getFloat32(element * 4, true);
    for (let axis = shape.length - 1; axis >= 0; axis -= 1) {
      index[axis]! += 1;
      if (index[axis]! < shape[axis]!) break;
      index[axis] = 0;
    }
  }
  return { shape, values };
}

function tensorRecordOf(value: PickleValue): TensorRecord | undefined {
  const record = opaqueValue(value) as TensorRecord | undefined;
  return record !== undefined && 'shape' in record ? record : undefined;
}

function opaqueValue(value: PickleValue): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as { kind?: string }).kind === 'object'
    ? (value as { value: unknown }).value
    : undefined;
}

function isIntList(value: PickleValue | undefined): value is readonly number[] {
  return Array.isArray(value) && value.every((item) => Number.isInteger(item));
}
