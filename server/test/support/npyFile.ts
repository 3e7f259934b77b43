// A NumPy .npy file as np.save writes it, for the upload tests.
/** What np.save writes for a C-order 2-D array (format 1.0, header padded to 64 bytes). */
export function npyBytes(
  rows: number[][],
  dtype: '<f4' | '<f8' = '<f4',
  header?: string,
): Uint8Array<ArrayBuffer> {
  const columns = rows[0]?.length ?? 0;
  let dict =
    header ??
    `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${rows.length}, ${columns}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  dict = dict + ' '.repeat(pad % 64) + '\n';
  const item = dtype === '<f4' ? 4 : 8;
  const out = new Uint8Array(10 + dict.length + rows.length * columns * item);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const view = new DataView(out.buffer);
  view.setUint16(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), 10);
  let at = 10 + dict.length;
  for (const row of rows) {
    for (const v of row) {
      if (item === 4) view.setFloat32(at, v, true);
      else view.setFloat64(at, v, true);
      at += item;
    }
  }
  return out;
}
