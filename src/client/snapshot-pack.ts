/**
 * The shipped form of the runner's memory snapshot: the snapshot without its zero pages.
 *
 * A Pyodide memory snapshot (pyodide.asm.mjs `makeMemorySnapshot`: a header, then the
 * interpreter's whole WebAssembly memory) is ≈31 MB, more than half of it pages of zeros (memory
 * the allocator reserved but never wrote). Every byte shipped costs on a reader's first Run: the
 * service worker's copy, the Subresource Integrity hash, the Blob the page hands to the runner
 * frame, the worker's read. Dropping the zero pages halves it (≈15 MB), and the worker puts the
 * rest back into a zeroed buffer with plain copies, off any main thread. The build then gzips
 * that (≈6 MB: on a real network the snapshot is most of a first Run's wait, and a static host
 * may not compress an unknown file type), which the worker inflates with the browser's own
 * DecompressionStream (Compression Streams standard; {@link readSnapshotBlob}).
 *
 * Layout (little-endian 32-bit words): magic {@link PACK_MAGIC}, format version 1, the snapshot's
 * length in bytes, the page size in bytes, then a bitmap of the pages that are not all zeros (bit
 * `i % 8` of byte `i >> 3` for page `i`, padded to a 4-byte boundary), then those pages in order
 * (the last page of the snapshot may be shorter than a page).
 */

/** First word of a packed snapshot ("PSPK"); a Pyodide snapshot starts with "\0snp". */
export const PACK_MAGIC = 0x4b505350;

/** Page size of the bitmap, in bytes (a WebAssembly page is 64 KiB; 4 KiB finds more zeros). */
export const PACK_PAGE_BYTES = 4096;

const HEADER_WORDS = 4;

/** True when `bytes` is a packed snapshot (starts with {@link PACK_MAGIC}). */
export function isPackedSnapshot(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === PACK_MAGIC;
}

/**
 * Pack a snapshot: keep only its pages that hold a non-zero byte.
 * @param snapshot a Pyodide memory snapshot (any bytes; at most 4 GiB - 1).
 * @returns the packed bytes (the layout above).
 */
export function packSnapshot(snapshot: Uint8Array): Uint8Array<ArrayBuffer> {
  const pages = Math.ceil(snapshot.byteLength / PACK_PAGE_BYTES);
  const bitmapBytes = Math.ceil(pages / 8 / 4) * 4;
  const bitmap = new Uint8Array(bitmapBytes);
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  for (let page = 0; page < pages; page++) {
    const bytes = snapshot.subarray(page * PACK_PAGE_BYTES, (page + 1) * PACK_PAGE_BYTES);
    let zero = true;
    for (let i = 0; i < bytes.byteLength && zero; i++) zero = bytes[i] === 0;
    if (!zero) {
      bitmap[page >> 3]! |= 1 << (page & 7);
      kept.push(bytes);
      keptBytes += bytes.byteLength;
    }
  }
  const out = new Uint8Array(HEADER_WORDS * 4 + bitmapBytes + keptBytes);
  const header = new DataView(out.buffer);
  header.setUint32(0, PACK_MAGIC, true);
  header.setUint32(4, 1, true);
  header.setUint32(8, snapshot.byteLength, true);
  header.setUint32(12, PACK_PAGE_BYTES, true);
  out.set(bitmap, HEADER_WORDS * 4);
  let at = HEADER_WORDS * 4 + bitmapBytes;
  for (const bytes of kept) {
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

/**
 * Unpack a packed snapshot, or pass a Pyodide snapshot through.
 *
 * @param bytes a packed snapshot ({@link packSnapshot}) or a Pyodide snapshot as it is.
 * @param into where to write the snapshot: all zeros, of exactly its length (a new buffer when omitted).
 * @returns the snapshot (`into` when given; `bytes` itself when it was not packed and `into` is omitted).
 * @throws Error when the packed data is inconsistent (unknown version, wrong length), or `into`
 *   does not have the snapshot's length.
 */
export function unpackSnapshot(bytes: Uint8Array, into?: Uint8Array): Uint8Array {
  if (!isPackedSnapshot(bytes)) {
    if (!into) return bytes;
    if (into.byteLength !== bytes.byteLength) throw new Error('snapshot: wrong length');
    into.set(bytes);
    return into;
  }
  const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_WORDS * 4);
  const length = header.getUint32(8, true);
  const pageBytes = header.getUint32(12, true);
  if (header.getUint32(4, true) !== 1 || pageBytes === 0) throw new Error('snapshot: unknown packed format');
  const out = into ?? new Uint8Array(length);
  if (out.byteLength !== length) throw new Error('snapshot: wrong length');
  const pages = Math.ceil(length / pageBytes);
  const bitmapStart = HEADER_WORDS * 4;
  let at = bitmapStart + Math.ceil(pages / 8 / 4) * 4;
  // Consecutive kept pages are copied in one go.
  let page = 0;
  while (page < pages) {
    if (!(bytes[bitmapStart + (page >> 3)]! & (1 << (page & 7)))) {
      page++;
      continue;
    }
    const first = page;
    while (page < pages && bytes[bitmapStart + (page >> 3)]! & (1 << (page & 7))) page++;
    const start = first * pageBytes;
    const end = Math.min(page * pageBytes, length);
    if (at + end - start > bytes.byteLength) throw new Error('snapshot: packed data too short');
    out.set(bytes.subarray(at, at + end - start), start);
    at += end - start;
  }
  if (at !== bytes.byteLength) throw new Error('snapshot: packed data too long');
  return out;
}

/**
 * Read a snapshot's bytes from a Blob as shipped: inflated when gzipped (it starts with gzip's
 * magic bytes 1f 8b, RFC 1952), as they are otherwise (a packed or a Pyodide snapshot).
 * @param body the file's bytes.
 * @returns the bytes, for {@link unpackSnapshot}.
 * @throws TypeError when gzipped data is corrupt (DecompressionStream's error).
 */
export async function readSnapshotBlob(body: Blob): Promise<Uint8Array> {
  const head = new Uint8Array(await body.slice(0, 2).arrayBuffer());
  if (head[0] !== 0x1f || head[1] !== 0x8b) return new Uint8Array(await body.arrayBuffer());
  return new Uint8Array(await new Response(body.stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
}
