/**
 * One compilation of Pyodide's WebAssembly per thread. `loadPyodide` reads `pyodide.asm.wasm`
 * and calls `WebAssembly.instantiate(bytes, imports)` for every interpreter (Pyodide's
 * `getInstantiateWasmFunc`, pyodide.mjs), and for bytes V8 compiles the module anew each time:
 * Liftoff at once, then TurboFan in the background, ≈9.6 MB of code per interpreter. A worker
 * restores a new interpreter after every `os._exit`, fault or tainted reset, and each restore
 * paid that compilation again. Instances of one compiled `WebAssembly.Module` share its code, so
 * the compilation (and its tier-up) happens once per thread.
 */
import { createHash } from 'node:crypto';

/** Bytes hashed per sample window of {@link cacheKey}. */
const SAMPLE_BYTES = 16 * 1024;
/** Sample windows of {@link cacheKey}, evenly spaced from the first byte to the last. */
const SAMPLES = 32;

/**
 * The cache key of a module's bytes: their length and the sha1 of {@link SAMPLES} windows of
 * {@link SAMPLE_BYTES} evenly spaced over them (the whole bytes when shorter), ≈0.5 MB hashed
 * instead of 9.6 MB (≈0.5 ms instead of ≈5–10 ms per instantiation). Two different modules
 * share a key only if they have the same length and the same bytes in every window; the
 * modules instantiated in a verifier thread are Pyodide's own, read from the same file for each
 * interpreter, and the first one cached is always Pyodide's (a module of the same key that an
 * example instantiated later would get Pyodide's, harming no other block).
 * @param bytes the module's bytes (any length).
 * @returns `<length>:<40 hex digits>`.
 */
export function cacheKey(bytes: Uint8Array): string {
  const hash = createHash('sha1');
  if (bytes.length <= SAMPLES * SAMPLE_BYTES) hash.update(bytes);
  else {
    const step = (bytes.length - SAMPLE_BYTES) / (SAMPLES - 1);
    for (let i = 0; i < SAMPLES; i++) {
      const start = Math.round(i * step);
      hash.update(bytes.subarray(start, start + SAMPLE_BYTES));
    }
  }
  return `${bytes.length}:${hash.digest('hex')}`;
}

/** Compiled modules by {@link cacheKey}. */
const compiled = new Map<string, Promise<WebAssembly.Module>>();
let installed = false;
/** How many instantiations were answered from the cache (for tests and benchmarks). */
export const wasmCacheStats = { compiled: 0, reused: 0 };

/** The bytes of a `BufferSource`, as a view. */
function bytesOf(source: BufferSource): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return new Uint8Array(source);
}

/**
 * Make this thread's `WebAssembly.instantiate(bytes, imports)` compile each distinct module once
 * and instantiate the cached `WebAssembly.Module` afterwards (same result shape: `{ instance,
 * module }`). Calls with a `Module` are passed through. The key hashes a sample of the bytes
 * ({@link cacheKey}), against ≈100 ms of compilation and the background tier-up. Call before Pyodide loads; idempotent.
 */
export function cacheWasmCompilation(): void {
  if (installed) return;
  installed = true;
  const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) => Promise<WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource>;
  const cached = async (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    if (source instanceof WebAssembly.Module) return instantiate(source, imports);
    const bytes = bytesOf(source);
    const key = cacheKey(bytes);
    let module = compiled.get(key);
    if (module) wasmCacheStats.reused++;
    else {
      wasmCacheStats.compiled++;
      module = WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
      compiled.set(key, module);
      module.catch(() => compiled.delete(key));
    }
    const ready = await module;
    const instance = (await instantiate(ready, imports)) as WebAssembly.Instance;
    return { instance, module: ready };
  };
  Object.defineProperty(WebAssembly, 'instantiate', { value: cached, writable: false, configurable: false });
}
