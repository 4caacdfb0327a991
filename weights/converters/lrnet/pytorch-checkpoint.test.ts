import { readPytorchStateDict } from './pytorch-checkpoint';

/** A ZIP archive of stored (uncompressed) entries, as torch.save writes them (CRCs left 0: the reader does not check them). */
function storedZip(entries: Record<string, Uint8Array>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(entries)) {
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, Buffer.from(data));
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

/** Protocol-2 pickle opcodes used below (CPython Lib/pickletools.py). */
const PROTO_2 = [0x80, 2];
const STOP = 0x2e;
function global(module: string, name: string): number[] {
  return [0x63, ...Buffer.from(`${module}\n${name}\n`)];
}
function unicode(text: string): number[] {
  const bytes = Buffer.from(text);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes.length);
  return [0x58, ...length, ...bytes];
}

describe('readPytorchStateDict', () => {
  it('reads a float32 tensor with an offset into a shared storage', () => {
    // {'w': _rebuild_tensor_v2(storage('0', 4 floats), offset 1, size (2,), stride (1,))}
    const pickle = [
      ...PROTO_2, ...global('collections', 'OrderedDict'), 0x29, 0x52, // OrderedDict()
      0x28, ...unicode('w'), // MARK 'w'
      ...global('torch._utils', '_rebuild_tensor_v2'),
      0x28, // MARK (args)
      0x28, ...unicode('storage'), ...global('torch', 'FloatStorage'), ...unicode('0'), ...unicode('cpu'), 0x4b, 4, 0x74, 0x51, // persistent id
      0x4b, 1, 0x4b, 2, 0x85, 0x4b, 1, 0x85, 0x89, 0x7d, // offset 1, (2,), (1,), False, {}
      0x74, 0x52, // TUPLE, REDUCE
      0x75, STOP, // SETITEMS
    ];
    const storage = new Uint8Array(new Float32Array([1.5, 2.5, 3.5, 4.5]).buffer);
    const tensors = readPytorchStateDict(storedZip({ 'archive/data.pkl': Uint8Array.from(pickle), 'archive/data/0': storage }));
    expect([...tensors.keys()]).toEqual(['w']);
    expect(tensors.get('w')!.shape).toEqual([2]);
    expect(Array.from(tensors.get('w')!.values)).toEqual([2.5, 3.5]);
  });

  it('never calls a global a state_dict does not need (a pickle that would run os.system)', () => {
    const pickle = [...PROTO_2, ...global('os', 'system'), ...unicode('touch /tmp/pwned'), 0x85, 0x52, STOP];
    expect(() => readPytorchStateDict(storedZip({ 'archive/data.pkl': Uint8Array.from(pickle) }))).toThrow(
      expect.objectContaining({ name: 'LrnetConversionError', code: 'INVALID_PICKLE', message: expect.stringMatching(/calls os\.system/) }),
    );
  });
});
