/**
 * What runner.py's reset cannot see, checked from JavaScript after each block: the interpreter's
 * file system outside the scratch folders (an example can write it through `pyodide_js.FS`, which
 * raises no audit event), the JavaScript globals and built-in prototypes the example can reach
 * through `js`, and Python objects handed to JavaScript that outlive the block (a `js.setTimeout`
 * callback would run Python code during a later block). Each check is cheap (well under 1 ms), so
 * it runs after every block; a breach discards the interpreter (runner.ts), and JavaScript
 * properties are also put back, since they outlive the interpreter.
 */
import type { PyProxy } from 'pyodide/ffi';

/** The Emscripten file system node fields read here (MEMFS; `FS.root` and below). */
interface FsNode {
  name: string;
  mode: number;
  mtime: number;
  ctime: number;
  contents?: Record<string, FsNode> | Uint8Array | null;
  usedBytes?: number;
  link?: string;
  mounted: unknown;
}

/** The part of Emscripten's `FS` object used here. */
interface EmscriptenFs {
  root: FsNode;
  isDir(mode: number): boolean;
  isChrdev(mode: number): boolean;
}

/** One node's state: its identity and every field a change through the FS API updates. */
type NodeState = [FsNode | null, number, number, number, unknown, number | undefined, string | undefined, unknown, string];

/** The file system outside the scratch folders, from {@link captureFiles}. */
export interface FilesSnapshot {
  /** Every node outside the scratch folders, by path. */
  nodes: Map<string, NodeState>;
  /** The scratch folders: path → mode (they must be empty after a reset). */
  scratch: Map<string, number>;
}

/**
 * Pyodide re-creates the standard stream devices whenever the runner sets a stream handler
 * (`setStdout`, `setStderr`), which also touches `/dev`: those nodes are not compared, and `/dev`
 * only by its entries' names.
 */
const STREAM_DEVICES = new Set(['/dev/stdin', '/dev/stdout', '/dev/stderr']);

function nodeState(fs: EmscriptenFs, path: string, node: FsNode): NodeState {
  const dir = fs.isDir(node.mode) && node.contents && !(node.contents instanceof Uint8Array);
  const names = dir ? Object.keys(node.contents as object).join('/') : '';
  if (STREAM_DEVICES.has(path)) return [null, 0, 0, 0, null, 0, undefined, null, ''];
  // A device's times change with every write to it (the terminal behind stdout and stderr).
  const volatile = path === '/dev' || fs.isChrdev(node.mode);
  return [
    volatile ? null : node,
    node.mode,
    volatile ? 0 : node.mtime,
    volatile ? 0 : node.ctime,
    node.contents,
    node.usedBytes,
    node.link,
    node.mounted,
    names,
  ];
}

function walkFiles(fs: EmscriptenFs, scratch: readonly string[], visit: (path: string, node: FsNode) => void): void {
  const walk = (node: FsNode, path: string) => {
    visit(path || '/', node);
    if (scratch.includes(path)) return;
    const contents = node.contents;
    if (!fs.isDir(node.mode) || !contents || contents instanceof Uint8Array) return;
    for (const [name, child] of Object.entries(contents)) walk(child, `${path}/${name}`);
  };
  walk(fs.root, '');
}

/**
 * Record the interpreter's file system outside `scratch` (≈25 nodes in Pyodide 314: the
 * standard library is one zip file), and the scratch folders' modes.
 * @param fs the interpreter's Emscripten `FS` (`pyodide.FS`).
 * @param scratch absolute paths of the folders an example may change (runner.py SCRATCH_DIRS).
 */
export function captureFiles(fs: EmscriptenFs, scratch: readonly string[]): FilesSnapshot {
  const nodes = new Map<string, NodeState>();
  const modes = new Map<string, number>();
  walkFiles(fs, scratch, (path, node) => {
    if (scratch.includes(path)) modes.set(path, node.mode);
    else nodes.set(path, nodeState(fs, path, node));
  });
  return { nodes, scratch: modes };
}

/**
 * Compare the file system with `snapshot`, after runner.py's reset emptied the scratch folders.
 * @returns what changed (one line naming the path), or null when nothing did.
 */
export function filesChange(fs: EmscriptenFs, snapshot: FilesSnapshot): string | null {
  let change: string | null = null;
  let seen = 0;
  walkFiles(fs, [...snapshot.scratch.keys()], (path, node) => {
    if (change) return;
    const mode = snapshot.scratch.get(path);
    if (mode !== undefined) {
      const contents = node.contents;
      if (node.mode !== mode) change = `the mode of ${path} changed`;
      else if (contents && !(contents instanceof Uint8Array) && Object.keys(contents).length > 0)
        change = `${path} is not empty after the reset`;
      return;
    }
    seen++;
    const saved = snapshot.nodes.get(path);
    if (!saved) change = `${path} was created outside the scratch folders`;
    else if (!nodeState(fs, path, node).every((value, i) => value === saved[i])) change = `${path} changed outside the scratch folders`;
  });
  if (!change && seen !== snapshot.nodes.size) change = 'a file outside the scratch folders was removed';
  return change;
}

/** Own property descriptors of one object, by key. */
type Descriptors = Map<PropertyKey, PropertyDescriptor>;

/** The JavaScript objects an example reaches first, from {@link captureRealm}. */
export interface RealmSnapshot {
  objects: [object, Descriptors][];
}

function descriptors(object: object): Descriptors {
  const map: Descriptors = new Map();
  for (const key of Reflect.ownKeys(object)) map.set(key, Reflect.getOwnPropertyDescriptor(object, key)!);
  return map;
}

const sameDescriptor = (a: PropertyDescriptor, b: PropertyDescriptor) =>
  Object.is(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable;

/** The global objects that are neither constructors nor the host's: ECMAScript's namespaces and the console. */
const NAMESPACES = new Set(['JSON', 'Math', 'Reflect', 'Atomics', 'Intl', 'WebAssembly', 'console']);

/**
 * Record the own properties of `roots` (the global scope and the interpreter's `jsglobals`), of
 * every constructor they hold and its prototype (`Object`, `Object.prototype`, `TextDecoder`, ...)
 * and of the standard namespaces (`JSON`, `Math`, `console`, ...): ≈230 objects, ≈1,800
 * properties, captured once per runner (≈1 ms) and compared after each block (≈0.4 ms).
 */
export function captureRealm(roots: readonly object[]): RealmSnapshot {
  const seen = new Set<object>();
  const objects: [object, Descriptors][] = [];
  const add = (object: unknown) => {
    if ((typeof object !== 'object' && typeof object !== 'function') || object === null || seen.has(object)) return;
    seen.add(object);
    objects.push([object, descriptors(object)]);
  };
  for (const root of roots) {
    add(root);
    for (const key of Reflect.ownKeys(root)) {
      const value = Reflect.getOwnPropertyDescriptor(root, key)?.value;
      // Constructors and their prototypes, and the standard namespaces; not the host's own
      // objects (`process`, `performance`), whose properties change as the host runs.
      if (typeof value === 'function') {
        add(value);
        add(value.prototype);
      } else if (typeof key === 'string' && NAMESPACES.has(key)) add(value);
    }
  }
  add(Object.getPrototypeOf(Uint8Array.prototype)); // %TypedArray%.prototype
  add(Object.getPrototypeOf(function* () {}).prototype); // %GeneratorPrototype%
  return { objects };
}

/** A readable name for a realm object: `globalThis`, `TextDecoder`, `Object.prototype`. */
function nameOf(object: object): string {
  if (object === globalThis) return 'globalThis';
  if (typeof object === 'function') return object.name || '(function)';
  const owner = Reflect.getOwnPropertyDescriptor(object, 'constructor')?.value;
  if (typeof owner === 'function' && owner.prototype === object) return `${owner.name}.prototype`;
  return String(Reflect.getOwnPropertyDescriptor(object, Symbol.toStringTag)?.value ?? 'object');
}

/**
 * Put back every property of the snapshot's objects that was added, removed or changed.
 * @returns the keys that were put back (`Object.prototype.x`, ...) and the changed ones that could
 *   not be (now read-only), both empty when nothing changed. A property added as non-configurable
 *   cannot be deleted: it is taken into the snapshot instead.
 */
export function restoreRealm(snapshot: RealmSnapshot): { restored: string[]; failed: string[] } {
  const restored: string[] = [];
  const failed: string[] = [];
  for (const [object, saved] of snapshot.objects) {
    const keys = Reflect.ownKeys(object);
    if (
      keys.length === saved.size &&
      keys.every((key) => saved.has(key) && sameDescriptor(Reflect.getOwnPropertyDescriptor(object, key)!, saved.get(key)!))
    )
      continue;
    const name = nameOf(object);
    for (const key of keys) {
      if (saved.has(key)) continue;
      if (Reflect.deleteProperty(object, key)) restored.push(`${name}.${String(key)}`);
      // A non-configurable property cannot go, and a new interpreter would not undo it either
      // (Node defines some lazily on the global scope, such as undici's dispatcher symbols):
      // take it as the new baseline. A Python object in it counts as handed to JavaScript.
      else saved.set(key, Reflect.getOwnPropertyDescriptor(object, key)!);
    }
    for (const [key, descriptor] of saved) {
      const now = Reflect.getOwnPropertyDescriptor(object, key);
      if (now && sameDescriptor(now, descriptor)) continue;
      (Reflect.defineProperty(object, key, descriptor) ? restored : failed).push(`${name}.${String(key)}`);
    }
  }
  return { restored, failed };
}

/** Internal Pyodide module fields used to see Python objects handed to JavaScript. */
interface PyodideModule {
  pyproxy_new: (...args: unknown[]) => PyProxy;
  PyProxy_getAttrsQuiet: (proxy: PyProxy) => { shared: { ptr: number } };
}

/** Records the PyProxies (Python objects handed to JavaScript) made while a block runs. */
export interface ProxyWatch {
  /** Start recording (when the block's code starts). */
  start(): void;
  /** Stop recording; returns how many recorded proxies are still alive (not destroyed). */
  stop(): number;
}

/**
 * Wrap Pyodide's `Module.pyproxy_new` (private; every Python object converted to a JavaScript
 * proxy goes through it: `create_proxy`, a Python function passed to a JavaScript call) so that
 * proxies made while recording can be counted. A proxy still alive when the block ends lets
 * JavaScript call into the interpreter later (a timer, a promise callback, a global), so the
 * interpreter is not reused. Borrowed proxies Pyodide destroys after the call do not count.
 * @param module the interpreter's `_module` (Pyodide 314; see pyodide.asm.mjs `pyproxy_new`).
 */
export function watchProxies(module: PyodideModule): ProxyWatch {
  const original = module.pyproxy_new;
  let recording: PyProxy[] | null = null;
  module.pyproxy_new = function (this: unknown, ...args: unknown[]) {
    const proxy = original.apply(this, args);
    recording?.push(proxy);
    return proxy;
  };
  return {
    start() {
      recording = [];
    },
    stop() {
      const made = recording ?? [];
      recording = null;
      return made.filter((proxy) => module.PyProxy_getAttrsQuiet(proxy).shared.ptr !== 0).length;
    },
  };
}
