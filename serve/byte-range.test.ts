import { parseByteRange } from './byte-range';

describe('parseByteRange', () => {
  it('reads single ranges: closed, open-ended, suffix, clamped to the end', () => {
    expect(parseByteRange('bytes=0-99', 1000)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(parseByteRange('bytes=900-', 1000)).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(parseByteRange('bytes=-100', 1000)).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(parseByteRange('bytes=-5000', 1000)).toEqual({ kind: 'partial', start: 0, end: 999 });
    expect(parseByteRange('bytes=990-2000', 1000)).toEqual({ kind: 'partial', start: 990, end: 999 });
  });

  it('serves the whole for no range, several ranges or nonsense, and nothing past the end', () => {
    expect(parseByteRange(undefined, 1000)).toEqual({ kind: 'whole' });
    expect(parseByteRange('bytes=0-1,5-6', 1000)).toEqual({ kind: 'whole' });
    expect(parseByteRange('items=0-1', 1000)).toEqual({ kind: 'whole' });
    expect(parseByteRange('bytes=50-10', 1000)).toEqual({ kind: 'whole' });
    expect(parseByteRange('bytes=1000-', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(parseByteRange('bytes=-0', 1000)).toEqual({ kind: 'unsatisfiable' });
  });
});
