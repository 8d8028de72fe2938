/**
 * The file format of the interpreter snapshots kept in the cache folder (see cache.ts
 * `startCachedPool`): a one-line header, then the snapshot's bytes.
 *
 *     verified-examples snapshot 1 {"fingerprint":"<64 hex>","hashSeed":0,"bytes":31457280,"sha256":"<64 hex>"}\n
 *     <bytes>
 *
 * Pyodide restores whatever bytes it is given: a truncated or garbled snapshot makes it fail
 * with "memory access out of bounds" (or worse, run), and a snapshot of another runtime or hash
 * seed restores an interpreter that runs other code. The header lets a reader refuse such a file
 * before Pyodide sees it: the runtime fingerprint and hash seed must be the ones asked for, and
 * the length and sha256 of the rest must match (≈25 ms for 30 MB).
 */
import { createHash } from 'node:crypto';

/** First bytes of every snapshot file, with the format's version. */
const MAGIC = 'verified-examples snapshot 1 ';

/** A header longer than this is not one of ours (ours is ≈200 bytes). */
const MAX_HEADER_BYTES = 4096;

/** Which interpreter a snapshot is of: the runtime fingerprint (cache.ts) and its hash seed. */
export interface SnapshotIdentity {
  /** `runtimeFingerprint()`: sha256, 64 hex digits. */
  fingerprint: string;
  /** `PYTHONHASHSEED` the snapshot was made with (runner.ts `RunnerOptions.hashSeed`). */
  hashSeed: number;
}

interface Header extends SnapshotIdentity {
  bytes: number;
  sha256: string;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * The file contents for `snapshot`.
 * @param snapshot the snapshot bytes (`ExampleRunner.snapshot`, ≈30 MB).
 * @returns header and bytes, one buffer (a copy of `snapshot`).
 */
export function encodeSnapshotFile(snapshot: Uint8Array, identity: SnapshotIdentity): Uint8Array {
  const header: Header = {
    fingerprint: identity.fingerprint,
    hashSeed: identity.hashSeed,
    bytes: snapshot.byteLength,
    sha256: sha256(snapshot),
  };
  return Buffer.concat([Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`), snapshot]);
}

/**
 * Check a snapshot file's contents and take its snapshot out.
 * @param data the whole file.
 * @param expected the runtime and hash seed the caller will restore it into.
 * @returns `{ snapshot }` (a copy of the bytes, so that nothing else of `data` is sent to the
 *   workers), or `{ problem }`: why the file cannot be used, a few words for a warning. Never throws.
 */
export function decodeSnapshotFile(data: Uint8Array, expected: SnapshotIdentity): { snapshot: Uint8Array } | { problem: string } {
  const newline = data.subarray(0, MAX_HEADER_BYTES).indexOf(0x0a);
  const line = newline < 0 ? '' : Buffer.from(data.subarray(0, newline)).toString('utf8');
  if (!line.startsWith(MAGIC)) return { problem: data.byteLength === 0 ? 'empty file' : 'no snapshot header' };
  let header: Partial<Header>;
  try {
    header = JSON.parse(line.slice(MAGIC.length)) as Partial<Header>;
  } catch {
    return { problem: 'unreadable snapshot header' };
  }
  if (header?.fingerprint !== expected.fingerprint) return { problem: 'made by another version of the runtime' };
  if (header.hashSeed !== expected.hashSeed) return { problem: `made with hash seed ${header.hashSeed}, not ${expected.hashSeed}` };
  const body = data.subarray(newline + 1);
  if (body.byteLength !== header.bytes) return { problem: `${body.byteLength} bytes instead of ${header.bytes}` };
  if (sha256(body) !== header.sha256) return { problem: 'sha256 mismatch' };
  // A copy that starts its own buffer: Pyodide reads it through aligned views of `.buffer`
  // (Buffer's slice() would be a view at the header's odd offset).
  return { snapshot: new Uint8Array(body) };
}
