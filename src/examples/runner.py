"""Run one example block the way ``python3 example.py`` runs a script in a terminal.

Loaded into a Pyodide interpreter by runner.ts (the verifier in Node and the reader's browser
worker load this same file). Entry points: :func:`run` executes a block and returns its exit
status; :func:`reset` returns the interpreter to the state it had before the first block, or
reports that it cannot, and then runner.ts replaces the interpreter with a fresh one.

The order of events follows ``Py_RunMain`` (Modules/main.c) and ``Py_FinalizeEx``
(Python/pylifecycle.c):

1. compile the source (SyntaxWarning/SyntaxError are reported here, before any output);
2. execute it as ``__main__``: ``finally`` blocks run while an exception unwinds;
3. report an uncaught exception: ``SystemExit`` through ``_Py_HandleSystemExit``
   (Python/pythonrun.c), anything else through ``sys.excepthook`` (a traceback);
4. finalize: ``atexit`` callbacks in LIFO order, flush stdout and stderr, then clear
   ``__main__`` (so generators' ``finally`` and ``__del__`` methods still run), flush again.
"""

import atexit
import builtins
import gc
import io
import linecache
import os
import random
import signal
import sys
import time
import types

#: The name tracebacks and warnings give the example, as if run with ``python3 example.py``.
FILENAME = "example.py"

#: ``$?`` after an unhandled KeyboardInterrupt: CPython re-raises SIGINT on itself at exit
#: (bpo-1054041, Python 3.8), and a shell reports death by signal N as 128 + N.
SIGINT_STATUS = 128 + 2

#: Folders an example may write to; they are emptied by :func:`reset`. A write anywhere else
#: taints the interpreter (see :func:`_audit`).
SCRATCH_DIRS = ("/home/pyodide", "/tmp")

_MISSING = object()


def _terminal_stdio():
    """New ``sys.stdout``/``sys.stderr`` configured as CPython configures them for a tty.

    ``create_stdio`` (Python/pylifecycle.c): both are line-buffered text layers over a
    buffered writer on fd 1 and 2; stdout uses ``errors="strict"``, stderr ``"backslashreplace"``.
    A partial line stays in the buffer until a newline, an explicit flush or interpreter exit,
    which is why ``os._exit`` loses it.
    """

    def stream(fd, errors):
        raw = io.FileIO(fd, "w", closefd=False)
        return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", errors=errors, line_buffering=True)

    return stream(1, "strict"), stream(2, "backslashreplace")


def _strip_runner_frames(tb):
    """Drop the leading traceback entries that belong to this module, not to the example."""
    while tb is not None and tb.tb_frame.f_code.co_filename != FILENAME:
        tb = tb.tb_next
    return tb


def _exit_status_of(exc):
    """The status ``_Py_HandleSystemExit`` derives from ``SystemExit.code``, printing non-ints.

    None -> 0; an int -> that int (the OS keeps its low 8 bits); anything else is written
    to stderr with ``str()`` and a newline, and the status is 1.
    """
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(str(code) + "\n")
    except BaseException:
        pass
    return 1


def _flush_std_files():
    """``flush_std_files`` (Python/pylifecycle.c): stdout first, then stderr; errors ignored."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _clear_module_dict(namespace):
    """``_PyModule_ClearDict`` (Objects/moduleobject.c): names with one leading underscore
    are set to None first, then every other name except ``__builtins__``."""
    for key in list(namespace):
        if isinstance(key, str) and key[:1] == "_" and key[1:2] != "_":
            namespace[key] = None
    for key in list(namespace):
        if key != "__builtins__":
            namespace[key] = None


def _execute(source, namespace):
    """Compile and execute; return the exit status after reporting an uncaught exception."""
    try:
        code = compile(source, FILENAME, "exec")
        exec(code, namespace)
    except SystemExit as exc:
        return _exit_status_of(exc)
    except BaseException as exc:
        sys.excepthook(type(exc), exc, _strip_runner_frames(exc.__traceback__))
        return SIGINT_STATUS if isinstance(exc, KeyboardInterrupt) else 1
    return 0


def run(source):
    """Execute ``source`` as the ``__main__`` script.

    Returns ``(status, exec_ms)``: the shell's exit status (0-255) and the time spent in the
    example itself (compile, execute, atexit, finalization) in milliseconds.
    """
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__ = _terminal_stdio()
    main = types.ModuleType("__main__")
    main.__file__ = FILENAME
    main.__builtins__ = builtins
    main.__cached__ = None
    sys.modules["__main__"] = main
    sys.argv = [FILENAME]
    # Tracebacks read source lines through linecache; an mtime of None marks the entry as
    # not backed by a file, so linecache.checkcache() keeps it.
    linecache.cache[FILENAME] = (len(source), None, source.splitlines(True), FILENAME)
    # CPython seeds the random module from os.urandom at start-up; a reused interpreter must
    # too, or an example's "random" output would depend on the examples before it.
    random.seed()
    patch = _patches_imported_objects(source)
    if patch:
        _taint(patch)
    started = time.perf_counter()
    namespace = main.__dict__
    del main
    status = _execute(source, namespace)
    atexit._run_exitfuncs()
    _flush_std_files()
    sys.modules.pop("__main__", None)
    _clear_module_dict(namespace)
    del namespace
    gc.collect()
    _flush_std_files()
    return status, (time.perf_counter() - started) * 1000


class _Baseline:
    """What :func:`reset` restores: captured once per interpreter, before its first block."""

    def __init__(self):
        self.modules = dict(sys.modules)
        # Module namespaces, and one level of the containers they hold (sys.path,
        # warnings.filters, linecache.cache, copyreg.dispatch_table, ...): restoring both undoes
        # rebinding (``builtins.print = ...``) and in-place edits (``sys.path.append``).
        self.namespaces = []
        self.containers = []
        seen = {id(globals())}  # this module's own state (the baseline itself) is not restored
        for module in self.modules.values():
            namespace = getattr(module, "__dict__", None)
            if not isinstance(namespace, dict) or id(namespace) in seen:
                continue
            seen.add(id(namespace))
            self.namespaces.append((namespace, dict(namespace)))
            for value in namespace.values():
                if type(value) in (list, dict, set) and id(value) not in seen:
                    seen.add(id(value))
                    self.containers.append((value, value.copy()))
        self.environ = dict(os.environ)
        self.cwd = os.getcwd()
        self.umask = os.umask(0o022)
        os.umask(self.umask)
        self.recursion_limit = sys.getrecursionlimit()
        self.int_max_str_digits = sys.get_int_max_str_digits()
        self.switch_interval = sys.getswitchinterval()
        self.asyncgen_hooks = sys.get_asyncgen_hooks()
        self.gc = (gc.isenabled(), gc.get_threshold())
        self.signals = {sig: signal.getsignal(sig) for sig in signal.valid_signals()}
        self.atexit_count = atexit._ncallbacks()
        logging = sys.modules.get("logging")
        self.logging = None
        if logging is not None:
            root = logging.root
            manager = logging.Logger.manager
            self.logging = (root.handlers[:], root.level, root.disabled, manager.disable)
            self.containers.append((manager.loggerDict, manager.loggerDict.copy()))
        self.tainted = None
        #: Set by the audit hook when a block creates, changes or removes a file.
        self.files_changed = False


_baseline = None


def _changed(live, saved):
    """True when a dict/list/set differs from its saved copy (identity of items, no __eq__ calls)."""
    if len(live) != len(saved):
        return True
    if type(live) is dict:
        return any(live.get(key, _MISSING) is not value for key, value in saved.items())
    if type(live) is list:
        return any(a is not b for a, b in zip(live, saved))
    return live != saved


def _restore(live, saved):
    """Put back the saved items in place. Dicts are patched key by key rather than cleared, so
    that a ``__del__`` triggered by dropping a value never sees an empty ``builtins``."""
    if type(live) is list:
        live[:] = saved
    elif type(live) is dict:
        for key in [key for key in live if key not in saved]:
            del live[key]
        for key, value in saved.items():
            if live.get(key, _MISSING) is not value:
                live[key] = value
    else:
        live.clear()
        live.update(saved)


def _taint(reason):
    if _baseline is not None and _baseline.tainted is None:
        _baseline.tainted = reason


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_FS_EVENTS = {
    "os.mkdir": 0, "os.rename": 0, "os.replace": 0, "os.remove": 0, "os.rmdir": 0,
    "os.truncate": 0, "os.chmod": 0, "os.chown": 0, "os.utime": 0, "os.symlink": 1, "os.link": 1,
}


def _outside_scratch(path):
    if isinstance(path, int):
        return False
    try:
        path = os.path.abspath(os.fsdecode(path))
    except Exception:
        return True
    return not any(path == d or path.startswith(d + "/") for d in SCRATCH_DIRS)


def _audit(event, args):
    """Audit hook (PEP 578): mark the interpreter tainted on anything :func:`reset` cannot undo.

    Installed once per interpreter; hooks cannot be removed, so it checks a flag and costs a
    dict lookup per event while no block is running.
    """
    if _baseline is None:
        return
    if event == "open":
        path, mode, flags = args
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags & _WRITE_FLAGS)
        if writes and not isinstance(path, int):
            _baseline.files_changed = True
            if _outside_scratch(path):
                _taint(f"wrote outside {', '.join(SCRATCH_DIRS)}: {path!r}")
    elif event in _FS_EVENTS:
        _baseline.files_changed = True
        if _outside_scratch(args[_FS_EVENTS[event]]):
            _taint(f"{event} outside {', '.join(SCRATCH_DIRS)}")
    elif event in ("object.__setattr__", "object.__delattr__"):
        target = args[0]
        if isinstance(target, type) and target.__module__ != "__main__":
            module = _baseline.modules.get(target.__module__)
            if module is not None and getattr(module, target.__qualname__, None) is target:
                _taint(f"changed the class {target.__module__}.{target.__qualname__}")
    elif event == "sys.addaudithook" or event.startswith("ctypes.") or event == "sys.monitoring.register_callback":
        _taint(f"audit event {event}")


def _patches_imported_objects(source):
    """Static check for changes :func:`reset` cannot undo: an attribute store or delete whose
    target is reached through an imported name (``json.JSONEncoder.x = 1``,
    ``from json import JSONEncoder; JSONEncoder.x = 1``, ``setattr(JSONEncoder, ...)``).
    Rebinding a module attribute (``sys.exit = f``) or an item of a module-level container
    (``os.environ["X"] = "1"``) is undone by reset and is allowed.
    Python offers no cheap runtime signal for these: setting a class attribute raises no audit
    event, and comparing every standard-library class after each block costs ~7 ms.
    """
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    modules, imported = set(), set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules.add(alias.asname or alias.name.partition(".")[0])
        elif isinstance(node, ast.ImportFrom):
            imported.update(alias.asname or alias.name for alias in node.names)

    def root(node):
        depth = 0
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node, depth = node.value, depth + 1
        return node, depth

    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            targets.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
            targets.extend(node.args[:1])
        for target in targets:
            base, depth = root(target)
            if not isinstance(base, ast.Name):
                if isinstance(target, ast.Attribute):
                    return f"line {target.lineno}: sets an attribute of a computed object"
                continue
            # module.attr = x and module.container[key] = x are undone by reset's restore.
            restorable = depth == 1 or (depth == 2 and isinstance(target, ast.Subscript))
            if base.id in imported or (base.id in modules and not restorable):
                return f"line {target.lineno}: changes an object imported from a module"
    return None


def prepare():
    """Capture the baseline of a fresh interpreter and install the audit hook (once)."""
    global _baseline
    _baseline = None
    sys.addaudithook(_audit)
    # Pyodide's own start-up registers exactly one atexit callback (logging.shutdown); reset
    # can put that back. Anything else means reset cannot restore atexit: never reuse.
    baseline = _Baseline()
    _baseline = baseline
    # Move every object alive now into the permanent generation: the collection that
    # finalization runs after each block then scans only what the block created.
    gc.collect()
    gc.freeze()
    if baseline.atexit_count != 1 or baseline.logging is None:
        _taint("unexpected atexit registrations at start-up")


def _empty_scratch_dirs():
    import shutil

    for folder in SCRATCH_DIRS:
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)


def reset(memory_bytes, memory_limit):
    """Return the interpreter to its baseline. Returns None on success, else why it cannot be
    reused (then runner.ts discards it). ``memory_bytes`` is the WebAssembly memory size now:
    memory never shrinks, so an interpreter that grew past ``memory_limit`` is not reused."""
    b = _baseline
    if b is None:
        return "no baseline"
    if b.tainted:
        return b.tainted
    if memory_bytes > memory_limit:
        return f"memory grew to {memory_bytes // 2**20} MiB"
    sys.settrace(None)
    sys.setprofile(None)
    for name in [name for name in sys.modules if name not in b.modules]:
        del sys.modules[name]
    for namespace, saved in b.namespaces:
        if _changed(namespace, saved):
            _restore(namespace, saved)
    for container, saved in b.containers:
        if _changed(container, saved):
            _restore(container, saved)
    if dict(os.environ) != b.environ:
        os.environ.clear()
        os.environ.update(b.environ)
    os.chdir(b.cwd)
    os.umask(b.umask)
    if b.files_changed:
        # Emptying the scratch folders and dropping import finders' directory caches costs
        # ~7 ms, so it is done only after a block that touched files.
        _empty_scratch_dirs()
        import importlib

        importlib.invalidate_caches()
        b.files_changed = False
    sys.setrecursionlimit(b.recursion_limit)
    sys.set_int_max_str_digits(b.int_max_str_digits)
    sys.setswitchinterval(b.switch_interval)
    sys.set_asyncgen_hooks(*b.asyncgen_hooks)
    gc.enable() if b.gc[0] else gc.disable()
    gc.set_threshold(*b.gc[1])
    for sig, handler in b.signals.items():
        if handler is not None and signal.getsignal(sig) is not handler:
            try:
                signal.signal(sig, handler)
            except (OSError, ValueError):
                return f"cannot restore the handler of signal {sig}"
    atexit._clear()
    logging = sys.modules["logging"]
    atexit.register(logging.shutdown)
    handlers, level, disabled, disable = b.logging
    root = logging.root
    root.handlers[:] = handlers
    root.setLevel(level)
    root.disabled = disabled
    logging.disable(disable)
    # warnings caches each module's decisions in __warningregistry__ keyed by a filters
    # version: bump it so no decision made under the example's filters survives.
    sys.modules["warnings"]._filters_mutated()
    return None
