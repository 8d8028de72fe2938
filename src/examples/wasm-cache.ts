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

/** Compiled modules by the sha1 of their bytes. */
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
 * module }`). Calls with a `Module` are passed through. Hashing 9.6 MB costs ≈10 ms, against
 * ≈100 ms of compilation and the background tier-up. Call before Pyodide loads; idempotent.
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
    const key = createHash('sha1').update(bytes).digest('hex');
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
