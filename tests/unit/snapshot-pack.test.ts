/** snapshot-pack.ts: the shipped snapshot without its zero pages (gzipped), read and unpacked byte for byte. */
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { isPackedSnapshot, PACK_PAGE_BYTES, packSnapshot, readSnapshotBlob, unpackSnapshot } from '../../src/client/snapshot-pack.ts';

/** A snapshot-like buffer: a header, written pages, zero pages (runs of them), a short last page. */
function sample(): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(37 * PACK_PAGE_BYTES + 123);
  bytes.set([0, 0x73, 0x6e, 0x70], 0); // Pyodide's magic, "\0snp"
  let seed = 7;
  const fill = (page: number, count: number) => {
    for (let i = page * PACK_PAGE_BYTES; i < Math.min(bytes.length, (page + count) * PACK_PAGE_BYTES); i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
  };
  fill(0, 3); // pages 0-2 written, 3-9 zero
  fill(10, 1);
  bytes[20 * PACK_PAGE_BYTES + PACK_PAGE_BYTES - 1] = 1; // one byte keeps a page
  fill(37, 1); // the short last page
  return bytes;
}

test('pack drops the zero pages and unpack gives back every byte, into a new buffer or a given one', () => {
  const snapshot = sample();
  const packed = packSnapshot(snapshot);
  expect(isPackedSnapshot(packed)).toBe(true);
  expect(isPackedSnapshot(snapshot)).toBe(false);
  // 3 + 1 + 1 pages and the 123-byte last one, a 16-byte header and an 8-byte bitmap (38 pages).
  expect(packed.length).toBe(16 + 8 + 5 * PACK_PAGE_BYTES + 123);
  expect(unpackSnapshot(packed)).toEqual(snapshot);
  const into = new Uint8Array(snapshot.length);
  expect(unpackSnapshot(packed, into)).toBe(into);
  expect(into).toEqual(snapshot);
});

test('a snapshot that is not packed passes through, or is copied into the given buffer', () => {
  const snapshot = sample();
  expect(unpackSnapshot(snapshot)).toBe(snapshot);
  const into = new Uint8Array(snapshot.length);
  expect(unpackSnapshot(snapshot, into)).toEqual(snapshot);
  expect(() => unpackSnapshot(snapshot, new Uint8Array(10))).toThrow(/wrong length/);
});

test('all zeros and all written', () => {
  const zeros = new Uint8Array(5 * PACK_PAGE_BYTES);
  expect(packSnapshot(zeros).length).toBe(16 + 4);
  expect(unpackSnapshot(packSnapshot(zeros))).toEqual(zeros);
  const full = new Uint8Array(2 * PACK_PAGE_BYTES).fill(9);
  expect(unpackSnapshot(packSnapshot(full))).toEqual(full);
});

test('a packed snapshot cut short, with bytes added, of another version, or unpacked into a buffer of the wrong size, is refused', () => {
  const packed = packSnapshot(sample());
  expect(() => unpackSnapshot(packed.subarray(0, packed.length - 1))).toThrow(/too short/);
  const longer = new Uint8Array(packed.length + 1);
  longer.set(packed);
  expect(() => unpackSnapshot(longer)).toThrow(/too long/);
  const version = packed.slice();
  version[4] = 2;
  expect(() => unpackSnapshot(version)).toThrow(/unknown packed format/);
  expect(() => unpackSnapshot(packed, new Uint8Array(PACK_PAGE_BYTES))).toThrow(/wrong length/);
});

test('a gzipped file is inflated as the build ships it; anything else is read as it is', async () => {
  const snapshot = sample();
  const packed = packSnapshot(snapshot);
  const shipped = new Blob([gzipSync(packed, { level: 6 })]);
  expect(shipped.size).toBeLessThan(packed.length);
  expect(unpackSnapshot(await readSnapshotBlob(shipped))).toEqual(snapshot);
  expect(await readSnapshotBlob(new Blob([packed]))).toEqual(packed);
  expect(await readSnapshotBlob(new Blob([snapshot]))).toEqual(snapshot);
  await expect(readSnapshotBlob(new Blob([new Uint8Array([0x1f, 0x8b, 1, 2, 3])]))).rejects.toThrow();
});
