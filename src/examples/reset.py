"""Fresh state between example blocks: the interpreter's baseline and the reset back to it.

Installed into each Pyodide interpreter by runner.ts beside runner.py (the CPython main
sequence), which calls :func:`restore_namespaces` during finalization. Entry points, called
from JavaScript: :func:`prepare` captures the baseline of a fresh interpreter before its first
block; :func:`reset` returns the interpreter to it after a block, or says why it cannot (then
runner.ts replaces the interpreter with a fresh one restored from a memory snapshot).
"""

import _codecs
import abc
import atexit
import codecs
import gc
import operator
import os
import signal
import sys
import types
import weakref


def _hidden_import(name):
    """Import ``name`` for the runner's own use without leaving it in ``sys.modules``: an example
    must see the modules ``python3 example.py`` has at start-up, not ours."""
    present = name in sys.modules
    __import__(name)
    module = sys.modules[name]
    if not present:
        del sys.modules[name]
    return module


# Modules whose state lives in C (the ABC cache token, the C locale, faulthandler, the socket
# default timeout): reset reads and restores it through them.
_abc = _hidden_import("_abc")
_locale = _hidden_import("_locale")
_socket = _hidden_import("_socket")
faulthandler = _hidden_import("faulthandler")

#: Folders an example may write to; they are emptied by :func:`reset`. A write anywhere else
#: taints the interpreter (see :func:`_audit`).
SCRATCH_DIRS = ("/home/pyodide", "/tmp")

_MISSING = object()
_is = operator.is_

#: The error handlers CPython registers at start-up (Python/codecs.c, ``_PyCodecRegistry_Init``).
_BUILTIN_ERROR_HANDLERS = (
    "strict", "ignore", "replace", "xmlcharrefreplace", "backslashreplace", "namereplace",
    "surrogateescape", "surrogatepass",
)

_LOCALE_CATEGORIES = tuple(
    getattr(_locale, name) for name in ("LC_CTYPE", "LC_COLLATE", "LC_TIME", "LC_MONETARY", "LC_NUMERIC", "LC_MESSAGES")
    if hasattr(_locale, name)
)


def _std_fds():
    """What the standard file descriptors 0-2 are (device, inode, mode), None where one is closed:
    an example that closes fd 1 or redirects it with ``os.dup2`` would write a later block's
    output somewhere else."""
    ids = []
    for fd in (0, 1, 2):
        try:
            st = os.fstat(fd)
            ids.append((st.st_dev, st.st_ino, st.st_rdev, st.st_mode))
        except OSError:
            ids.append(None)
    return ids


def _recopy(live, saved):
    """Make ``saved`` a copy of ``live`` again, in place (others hold ``saved``: ``sys_saved``)."""
    if type(saved) is list:
        saved[:] = live
    else:
        saved.clear()
        saved.update(live)


class _Baseline:
    """What :func:`reset` restores: captured once, before the memory snapshot is taken (runner.ts
    ``installRunner``), and brought up to date after each restore from it (:meth:`resync`)."""

    def _add_namespace(self, namespace, seen):
        """Restore ``namespace`` (an object's ``__dict__``) and one level of its containers."""
        if id(namespace) in seen:
            return
        seen.add(id(namespace))
        self.namespaces.append((namespace, dict(namespace)))
        for value in namespace.values():
            if type(value) in (list, dict, set) and id(value) not in seen:
                seen.add(id(value))
                self.containers.append((value, value.copy()))

    def _add_objects(self, namespace, seen):
        """Watch the classes and plain objects with a ``__dict__`` that ``namespace`` holds."""
        for value in namespace.values():
            attrs = _object_dict(value)
            if attrs is not None and id(value) not in seen:
                seen.add(id(value))
                self.objects.append((value, attrs, dict(attrs)))

    def __init__(self, own):
        self.modules = dict(sys.modules)
        # Module namespaces, and one level of the containers they hold (sys.path,
        # warnings.filters, linecache.cache, copyreg.dispatch_table, ...): restoring both undoes
        # rebinding (``builtins.print = ...``) and in-place edits (``sys.path.append``).
        self.namespaces = []
        self.containers = []
        # The runner's own modules (the baseline itself) are not restored: they are checked.
        seen = {id(namespace) for namespace in own}
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
        # Classes and other objects with a __dict__ that baseline modules hold: a change to one
        # of them (json.JSONEncoder.item_separator = ";") cannot be seen any other way, since
        # setting a class attribute raises no audit event. Compared with dict equality in C.
        self.objects = []
        for namespace, _ in self.namespaces:
            self._add_objects(namespace, seen)
        logging = sys.modules.get("logging")
        if logging is not None:
            manager = logging.Logger.manager
            self.containers.append((manager.loggerDict, manager.loggerDict.copy()))
            # Every logger that exists now ("asyncio", "concurrent.futures", placeholders), not
            # only the root: handlers, level, propagate, disabled, filters and its level cache.
            for logger in [logging.root, *manager.loggerDict.values()]:
                self._add_namespace(logger.__dict__, seen)
        # The asyncio event loop outlives the blocks (Pyodide's WebLoop is made at start-up and
        # held by the policy, not by a module): its attributes (debug flag, exception handler,
        # anything an example sets on it) and the policy's are restored like a namespace.
        self.loop = None
        events = sys.modules.get("asyncio.events")
        policy = getattr(events, "_event_loop_policy", None)
        if policy is not None:
            self._add_namespace(policy.__dict__, seen)
            self.loop = getattr(policy, "_default_loop", None)
            if self.loop is not None:
                self._add_namespace(self.loop.__dict__, seen)
        #: ids of every namespace, container and object above (see :meth:`resync`).
        self.seen = seen
        #: Baseline objects by the id of their attribute dict, and how many are indexed
        #: (see watched_dicts).
        self.objects_by_dict_id = {}
        self.objects_indexed = 0
        #: Counters (itertools.count) in baseline namespaces, see _find_counters.
        self.counters = _find_counters(self.namespaces)
        self._capture_state()
        self.tainted = None
        #: Set by the audit hook when a block creates, changes or removes a file.
        self.files_changed = False

    def _capture_state(self):
        """The state outside namespaces (process, C and file system state): cheap to read, so
        read again by :meth:`resync`."""
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
            self.logging = (root.handlers[:], root.level, root.disabled, logging.Logger.manager.disable)
        self.gc_debug = gc.get_debug()
        self.scratch_modes = [(folder, os.stat(folder)) for folder in SCRATCH_DIRS]
        # State kept in C, outside any module namespace (see _c_state_changes).
        self.abc_token = _abc.get_cache_token()
        self.abcs = [(value, set(_abc._get_dump(value)[0])) for value, _, _ in self.objects if isinstance(value, abc.ABCMeta)]
        self.locale = _locale.setlocale(_locale.LC_ALL)
        self.locales = {category: _locale.setlocale(category) for category in _LOCALE_CATEGORIES}
        self.faulthandler = faulthandler.is_enabled()
        self.socket_timeout = _socket.getdefaulttimeout()
        self.monitoring_tools = [sys.monitoring.get_tool(tool) for tool in range(6)]
        self.error_handlers = {name: codecs.lookup_error(name) for name in _BUILTIN_ERROR_HANDLERS}
        self.std_fds = _std_fds()
        self.sys_containers = {id(value) for value in sys.__dict__.values() if type(value) in (list, dict, set)}
        self.sys_saved = next(saved for namespace, saved in self.namespaces if namespace is sys.__dict__)

    def resync(self):
        """Take into the baseline what changed since it was captured, before any block ran: the
        restore from the snapshot (Pyodide's start-up sets ``LD_LIBRARY_PATH`` again, its
        file system is new) and the hooks installed after it (``time.sleep`` and
        ``sys.setrecursionlimit`` of the JavaScript host, ``pyodide.webloop.scheduleCallback``).
        Saved copies are refreshed in place, new modules, containers and objects added; the
        state outside namespaces is read again. ≈1-2 ms where a capture takes ≈25 ms."""
        seen = self.seen
        for name in [name for name in self.modules if name not in sys.modules]:
            del self.modules[name]
        for name, module in sys.modules.items():
            if name not in self.modules:
                self.modules[name] = module
                namespace = getattr(module, "__dict__", None)
                if isinstance(namespace, dict):
                    self._add_namespace(namespace, seen)
        for namespace, saved in self.namespaces:
            if _changed(namespace, saved):
                _recopy(namespace, saved)
                for value in namespace.values():
                    if type(value) in (list, dict, set) and id(value) not in seen:
                        seen.add(id(value))
                        self.containers.append((value, value.copy()))
                self._add_objects(namespace, seen)
        for container, saved in self.containers:
            if _changed(container, saved):
                _recopy(container, saved)
        for _, attrs, saved in self.objects:
            try:
                if len(attrs) == len(saved) and attrs == saved:
                    continue
            except BaseException:
                pass
            _recopy(attrs, saved)
        self._capture_state()


_baseline = None
def watched_dicts():
    """The ids (addresses) of every dict of the baseline: module namespaces, dict containers,
    class and instance attribute dicts, and the runner's own namespaces. runner.ts watches them
    (dict-watch.ts, C API ``PyDict_Watch``) and passes the ids of those a block changed to
    :func:`finalize`'s and :func:`reset`'s ``dirty``, so that only those are compared. Also
    indexes the baseline's objects by their dict's id. Called after each :func:`resume`."""
    b = _baseline
    if b is None:
        return []
    ids = [id(namespace) for namespace, _ in b.namespaces]
    ids += [id(container) for container, _ in b.containers if type(container) is dict]
    ids += [id(namespace) for namespace, _ in _own]
    for entry in b.objects[b.objects_indexed :]:
        attrs = entry[1] if type(entry[1]) is dict else _referent_dict(entry[1])
        if attrs is not None:
            b.objects_by_dict_id[id(attrs)] = entry
    b.objects_indexed = len(b.objects)
    ids += b.objects_by_dict_id.keys()
    return ids


def _dirty_set(dirty):
    """``dirty`` as runner.ts passes it (dict-watch.ts ``takeDirty``: the ids of the watched dicts
    changed since the last reset, comma-separated, or None when no watcher is installed) as a
    set of ints, or None: then everything is compared."""
    return None if dirty is None else {int(word) for word in dirty.split(",") if word}


#: The runner's module namespaces (this one and runner.py's) with copies taken by prepare().
_own = []
#: Called with no arguments on the audit event ``sys.excepthook`` (runner.py sets it).
on_excepthook = None
#: The callbacks tracer.py registers with ``sys.monitoring`` (set by it, before the baseline).
own_monitoring_callbacks = ()


def _object_dict(value):
    """The attribute dict of a class or plain instance held by a module, else None."""
    if isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType)):
        return None
    try:
        attrs = object.__getattribute__(value, "__dict__")
    except Exception:
        return None
    return attrs if isinstance(attrs, (dict, types.MappingProxyType)) else None


class _FreezeSentinel:
    """An unreachable cycle left in the permanent generation by :func:`_freeze`."""

    __slots__ = ("cycle", "__weakref__")


#: Non-empty once the sentinel was collected, which only ``gc.unfreeze()`` makes possible.
_unfrozen = []
#: The weak reference whose callback (``_unfrozen.append``) notes the sentinel's collection.
_sentinel_ref = []


def _freeze():
    """``gc.freeze()``, leaving a sentinel to tell later whether a block called ``gc.unfreeze()``.

    ``gc.get_freeze_count()`` walks the whole permanent generation (≈4 ms per reset in
    WebAssembly). Instead, an unreachable cycle is frozen with everything else: it is never
    collected unless ``gc.unfreeze()`` moves it back, and then the next collection (finalization
    runs several) frees it and its weak reference's callback, a C method that runs no Python
    frame, appends to :data:`_unfrozen`. (Such a block's own ``gc.collect()`` then counts the
    sentinel's object among the unreachable ones it found.)"""
    sentinel = _FreezeSentinel()
    sentinel.cycle = sentinel
    _unfrozen.clear()
    _sentinel_ref[:] = [weakref.ref(sentinel, _unfrozen.append)]
    del sentinel
    gc.freeze()


def _referent_dict(proxy):
    """The dict behind a class's ``mappingproxy`` (``type.__dict__``), for the dict watcher."""
    for referent in gc.get_referents(proxy):
        if type(referent) is dict:
            return referent
    return None


def _restore_objects(b, dirty):
    """Put back the attributes of baseline classes and objects. Instance dicts are patched in
    place (``logging.shutdown`` closes ``logging.lastResort`` at every exit); a class's dict is a
    read-only view, so its attributes are set back with setattr/delattr. ``dirty``: a set of ids
    of the dicts changed (only their objects are compared), or None for all. Returns why the
    interpreter cannot be reused when that fails, else None."""
    objects = b.objects if dirty is None else [b.objects_by_dict_id[key] for key in dirty & b.objects_by_dict_id.keys()]
    for value, attrs, saved in objects:
        try:
            if len(attrs) == len(saved) and attrs == saved:
                continue
        except BaseException:
            pass
        if type(attrs) is dict:
            _restore(attrs, saved)
            continue
        try:
            for key in [key for key in attrs if key not in saved]:
                delattr(value, key)
            for key, item in saved.items():
                if attrs.get(key, _MISSING) is not item:
                    setattr(value, key, item)
        except BaseException:
            return f"cannot restore the class {getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', '?')}"
    return None


def _changed(live, saved):
    """True when a dict/list/set differs from its saved copy (identity of items, no __eq__ calls).

    Every block checks ~900 namespaces and containers (~25,000 names), twice: the loops run in C
    (``map`` of ``operator.is_``, ``all``), several times faster than a generator in WebAssembly.
    A dict counts as changed when its keys are not the same objects in the same order, which
    also catches a name deleted and added back (its restore is then a no-op)."""
    if len(live) != len(saved):
        return True
    if type(live) is dict:
        return not (all(map(_is, live, saved)) and all(map(_is, live.values(), saved.values())))
    if type(live) is list:
        return not all(map(_is, live, saved))
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
#: Audit events that change the file system, with the positions of their path arguments: both
#: ends of a rename or hard link (a file moved out of /tmp into site-packages changes the
#: destination), the link itself for a symlink (its target is only text).
_FS_EVENTS = {
    "os.mkdir": (0,), "os.rename": (0, 1), "os.replace": (0, 1), "os.remove": (0,), "os.rmdir": (0,),
    "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,), "os.symlink": (1,), "os.link": (0, 1),
}


def _outside_scratch(path):
    """True when ``path`` (str, bytes or PathLike) resolves, through symlinks, outside the scratch
    folders: a write through ``/tmp/link`` pointing into ``/lib`` changes ``/lib``."""
    if isinstance(path, int):
        return False
    try:
        path = os.path.realpath(os.fsdecode(path))
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
    if event == "sys.excepthook":
        # PyErr_Print is about to call sys.excepthook: Pyodide's report of an exception that
        # ends the block (runner.py marks where its output starts).
        if on_excepthook is not None:
            on_excepthook()
    elif event == "open":
        path, mode, flags = args
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags & _WRITE_FLAGS)
        if writes and not isinstance(path, int):
            _baseline.files_changed = True
            if _outside_scratch(path):
                _taint(f"wrote outside {', '.join(SCRATCH_DIRS)}: {path!r}")
    elif event in _FS_EVENTS:
        _baseline.files_changed = True
        for index in _FS_EVENTS[event]:
            path = args[index]
            # An fd (fchmod, ftruncate) may be a file opened for reading anywhere.
            if isinstance(path, int) and event in ("os.chmod", "os.chown") or _outside_scratch(path):
                _taint(f"{event} outside {', '.join(SCRATCH_DIRS)}")
    elif event in ("object.__setattr__", "object.__delattr__"):
        target = args[0]
        if isinstance(target, type) and target.__module__ != "__main__":
            module = _baseline.modules.get(target.__module__)
            if module is not None and getattr(module, target.__qualname__, None) is target:
                _taint(f"changed the class {target.__module__}.{target.__qualname__}")
    elif event == "sys.monitoring.register_callback":
        # The runner's tracer (tracer.py, a traced run) registers its own callbacks and frees its
        # tool id after the block; anything else registered may outlive the block.
        if not any(args[0] is callback for callback in own_monitoring_callbacks):
            _taint(f"audit event {event}")
    elif event == "sys.addaudithook" or event.startswith("ctypes."):
        _taint(f"audit event {event}")


def _find_counters(namespaces):
    """The ``itertools.count`` objects that baseline module namespaces hold, bare or as their bound
    ``__next__`` (``threading._counter``, ``asyncio.tasks._task_name_counter``: the numbers of
    "Thread-N" and of pure-Python "Task-N" names). A count's value is not in any namespace (the
    object stays the same), so the dict comparison never sees it move. Returns
    ``[namespace, name, value, start, step, saved]`` entries (``saved``: the namespace's
    baseline copy); counts whose repr is not ``count(int)`` or ``count(int, int)`` are left out."""
    import itertools

    found = []
    for namespace, saved in namespaces:
        for name, value in namespace.items():
            count = value if type(value) is itertools.count else getattr(value, "__self__", None)
            if type(count) is not itertools.count or name.startswith("__"):
                continue
            try:
                start, step = (list(map(int, repr(count)[6:-1].split(", "))) + [1])[:2]
            except ValueError:
                continue
            found.append([namespace, name, value, start, step, saved])
    return found


def _restore_counters(b):
    """Give every counter of :func:`_find_counters` that moved a new count at its baseline value,
    in the namespace and in its baseline copy (a count cannot be set back), so that the next
    block's first thread is "Thread-1" again, as in a fresh ``python3``. Microseconds each."""
    import itertools

    for entry in b.counters:
        namespace, name, value, start, step, saved = entry
        count = value if type(value) is itertools.count else value.__self__
        if repr(count) == (f"count({start})" if step == 1 else f"count({start}, {step})"):
            continue
        fresh = itertools.count(start, step)
        value = fresh if type(value) is itertools.count else fresh.__next__
        if namespace.get(name) is entry[2]:
            namespace[name] = value
        saved[name] = entry[2] = value


class _ProbeLoop:
    """Just enough of an event loop for a C ``asyncio.Task`` to be made (and never run)."""

    def get_debug(self):
        return False

    def call_soon(self, *args, **kwargs):
        return None

    def call_exception_handler(self, context):
        pass


def probe_task_counter():
    """Make and drop one unnamed C ``asyncio.Task``, which moves the counter of "Task-N" names kept
    in ``_asyncio``'s C module state (Modules/_asynciomodule.c, ``task_name_counter``) by one and
    changes nothing else. runner.ts (task-counter.ts) finds the counter as the word of that
    state that moved, and sets it back after each block. Returns ``id(_asyncio)``, the module's
    address (the argument of ``PyModule_GetState``), or 0 when there is no C ``_asyncio``."""
    _asyncio = sys.modules.get("_asyncio")
    if _asyncio is None:
        return 0

    async def probe():
        pass

    coro = probe()
    task = _asyncio.Task(coro, loop=_ProbeLoop())
    task._log_destroy_pending = False
    coro.close()
    del task
    return id(_asyncio)


_registered_codecs = []
_registered_error_handlers = []
_register_error = _codecs.register_error


def _pending_tasks(loop):
    """True when ``loop`` holds an unfinished task (``asyncio.all_tasks``, without a running loop)."""
    tasks = sys.modules.get("asyncio.tasks")
    if tasks is None:
        return False
    try:
        return bool(tasks.all_tasks(loop))
    except Exception:
        return True


def _wrap_codecs_register():
    """Route ``codecs.register`` through a wrapper that remembers search functions, because the
    codec registry lives in C interpreter state that reset cannot otherwise see."""
    import codecs

    original = codecs.register

    def register(search_function, /):
        original(search_function)
        _registered_codecs.append(search_function)

    register.__doc__ = original.__doc__
    codecs.register = register

    # Error handlers live in the same C registry. The same wrapper serves codecs and _codecs,
    # the two names an example can reach ``register_error`` by.
    def register_error(name, error_handler, /):
        _register_error(name, error_handler)
        _registered_error_handlers.append(name)

    register_error.__doc__ = _register_error.__doc__
    codecs.register_error = _codecs.register_error = register_error


def prepare(modules):
    """Capture the baseline of a fresh interpreter and install the audit hook (once), before the
    memory snapshot is taken (runner.ts ``installRunner``): every interpreter restored from it
    starts with them, and only :func:`resume` runs after a restore.

    ``modules`` are the runner's own modules (runner.py's and this one): they are left out of
    the baseline's ``sys.modules``, and a change to their namespaces discards the interpreter
    (see :func:`reset`). They stay importable until :func:`resume`, so that runner.ts can take
    their functions after a restore.
    """
    global _baseline
    _baseline = None
    for module in modules:
        if sys.modules.get(module.__name__) is module:
            del sys.modules[module.__name__]
    # The seed was read at start-up; `python3 example.py` has no PYTHONHASHSEED in its
    # environment, and interpreters of different seeds must look alike to the example.
    os.environ.pop("PYTHONHASHSEED", None)
    sys.addaudithook(_audit)
    _wrap_codecs_register()
    # Pyodide's own start-up registers exactly one atexit callback (logging.shutdown); reset
    # can put that back. Anything else means reset cannot restore atexit: never reuse.
    baseline = _Baseline([module.__dict__ for module in modules])
    _baseline = baseline
    # Move every object alive now into the permanent generation: the collection that
    # finalization runs after each block then scans only what the block created.
    gc.collect()
    _freeze()
    baseline.freeze_count = gc.get_freeze_count()
    # The runner's own namespaces: an example can reach these modules (gc.get_referrers, a
    # frame's globals) and rebind FILENAME or reset; runner.ts holds our functions, and a
    # change to a namespace discards the interpreter. (Copied last, so a copy holds itself.)
    _own.clear()
    _own.extend((module.__dict__, {}) for module in modules)
    for namespace, saved in _own:
        saved.update(namespace)
    if baseline.atexit_count != 1 or baseline.logging is None:
        _taint("unexpected atexit registrations at start-up")
    for module in modules:
        sys.modules[module.__name__] = module


def resume(modules):
    """After a restore from the snapshot and the hooks that need the JavaScript host (runner.py
    ``install_host``), before the first block: remove the runner's own ``modules`` from
    ``sys.modules`` (runner.ts holds their functions), so examples cannot import them, and
    bring the baseline up to date (:meth:`_Baseline.resync`)."""
    for module in modules:
        if sys.modules.get(module.__name__) is module:
            del sys.modules[module.__name__]
    if _baseline is None:
        return
    _baseline.resync()
    # (Copied last, as in prepare(), so a copy holds itself.)
    for namespace, saved in _own:
        _recopy(namespace, saved)


def _empty_scratch_dirs(b):
    """Empty the scratch folders and put back their mode and owner. Returns why they could not
    be emptied (a folder inside made unreadable, say), else None."""
    import shutil

    for folder, stat in b.scratch_modes:
        os.chmod(folder, stat.st_mode & 0o7777)
        os.chown(folder, stat.st_uid, stat.st_gid)
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        if os.listdir(folder):
            return f"cannot empty {folder}"
    return None


def _c_state_changes(b):
    """Put back interpreter state kept in C, which no namespace holds. Returns why the
    interpreter cannot be reused, else None. Each check is a C call or two (microseconds)."""
    if _abc.get_cache_token() != b.abc_token:
        # Some ABC registered a class. Registries of the baseline's ABCs cannot be undone in
        # place (their positive caches may already answer for the new class), so such an
        # interpreter is not reused; the example's own ABCs die with it, but they may have
        # filled the baseline ABCs' caches (issubclass walks __subclasses__()), hence the reset.
        for cls, registry in b.abcs:
            if set(_abc._get_dump(cls)[0]) != registry:
                return f"registered a class with the ABC {cls.__module__}.{cls.__qualname__}"
        for cls, _ in b.abcs:
            _abc._reset_caches(cls)
        b.abc_token = _abc.get_cache_token()
    if _locale.setlocale(_locale.LC_ALL) != b.locale:
        for category, name in b.locales.items():
            _locale.setlocale(category, name)
    if faulthandler.is_enabled() != b.faulthandler:
        faulthandler.disable()
    if _socket.getdefaulttimeout() != b.socket_timeout:
        _socket.setdefaulttimeout(b.socket_timeout)
    monitoring = sys.monitoring
    for tool, name in enumerate(b.monitoring_tools):
        if monitoring.get_tool(tool) != name:
            if name is not None:
                return f"sys.monitoring tool {tool} was freed"
            monitoring.clear_tool_id(tool)
            monitoring.free_tool_id(tool)
    while _registered_error_handlers:
        name = _registered_error_handlers.pop()
        original = b.error_handlers.get(name)
        if original is not None:
            _register_error(name, original)
        else:
            _codecs._unregister_error(name)
    if gc.get_debug() != b.gc_debug:
        gc.set_debug(b.gc_debug)
    if _unfrozen:
        # gc.unfreeze() moved the start-up objects back into the collected generations: freeze
        # them again, as prepare() did, so that finalization's collection stays cheap.
        gc.collect()
        _freeze()
    return None


def baseline_modules():
    """The module table of the baseline (name -> module), empty before :func:`prepare`."""
    return _baseline.modules if _baseline is not None else {}


def _invalidate_scratch_finders():
    """Drop what import finders cached about the scratch folders' contents (a module file the
    block wrote and the reset removed must not stay importable, nor a new one of the same name
    be missed). Only the finders of the baseline's path entries remain (the reset restores
    ``sys.path_importer_cache``), so only those under a scratch folder need it.
    ``importlib.invalidate_caches()`` would do it too, but it imports ``importlib.metadata``
    (≈25 ms in WebAssembly) for its own finder, which the reset then unloads again."""
    for path, finder in list(sys.path_importer_cache.items()):
        if finder is None or not hasattr(finder, "invalidate_caches"):
            continue
        if isinstance(path, str) and any(path == d or path.startswith(d + "/") for d in SCRATCH_DIRS):
            finder.invalidate_caches()
    # Namespace packages recompute their path when this epoch moves (what
    # PathFinder.invalidate_caches does besides the finders).
    external = sys.modules["importlib._bootstrap_external"]
    external._NamespacePath._epoch += 1


def restore_namespaces(keep_sys=False, only_sys=False, dirty=None):
    """Put back the module table, every baseline module namespace and one level of their
    containers (``sys.path``, ``sys.modules``, ``warnings.filters``...). Called by runner.py's
    finalization, so that what an example hung on a standard module is finalized before the
    block ends, and again by :func:`reset`. With ``keep_sys``, ``sys`` and its containers are
    left as they are (finalization has emptied ``sys.modules``); with ``only_sys``, only they are
    restored (finalization's second pass: the other namespaces were restored by its first, and
    what a ``__del__`` changed since stays changed for the rest of finalization, as in CPython;
    :func:`reset` restores it). ``dirty``: the set of ids of the watched dicts that changed (see
    :func:`watched_dicts`): dicts not in it are not compared (lists and sets always are); None
    compares everything. A no-op without a baseline."""
    b = _baseline
    if b is None:
        return
    if not keep_sys:
        for name in [name for name in sys.modules if name not in b.modules]:
            del sys.modules[name]
    sys_dict = sys.__dict__
    if only_sys:
        namespaces = [(sys_dict, b.sys_saved)]
        containers = [(c, saved) for c, saved in b.containers if id(c) in b.sys_containers]
    else:
        namespaces, containers = b.namespaces, b.containers
    for namespace, saved in namespaces:
        if dirty is not None and id(namespace) not in dirty:
            continue
        if (not keep_sys or namespace is not sys_dict) and _changed(namespace, saved):
            _restore(namespace, saved)
    for container, saved in containers:
        if dirty is not None and type(container) is dict and id(container) not in dirty:
            continue
        if (not keep_sys or id(container) not in b.sys_containers) and _changed(container, saved):
            _restore(container, saved)


def reset(memory_bytes, memory_limit, dirty=None):
    """Return the interpreter to its baseline. Returns None on success, else why it cannot be
    reused (then runner.ts discards it). ``memory_bytes`` is the WebAssembly memory size now:
    memory never shrinks, so an interpreter that grew past ``memory_limit`` is not reused.
    ``dirty``: ids of the watched dicts changed since the last reset (comma-separated, from
    runner.ts, see :func:`watched_dicts`), or None to compare everything."""
    b = _baseline
    if b is None:
        return "no baseline"
    if b.tainted:
        return b.tainted
    if memory_bytes > memory_limit:
        return f"memory grew to {memory_bytes // 2**20} MiB"
    dirty = _dirty_set(dirty)
    if any((dirty is None or id(namespace) in dirty) and _changed(namespace, saved) for namespace, saved in _own):
        return "the runner's own module was changed"
    if _std_fds() != b.std_fds:
        # (the standard streams themselves are made anew for each block)
        return "the standard file descriptors 0-2 were closed or redirected"
    if b.loop is not None and _pending_tasks(b.loop):
        # Its finally would run in a later block (when the task is collected); the next block
        # gets a fresh interpreter instead.
        return "an asyncio task was left pending"
    changed = _restore_objects(b, dirty) or _c_state_changes(b)
    if changed:
        return changed
    sys.settrace(None)
    sys.setprofile(None)
    restore_namespaces(dirty=dirty)
    _restore_counters(b)
    if dict(os.environ) != b.environ:
        os.environ.clear()
        os.environ.update(b.environ)
    os.chdir(b.cwd)
    os.umask(b.umask)
    if b.files_changed:
        # Emptying the scratch folders and dropping import finders' directory caches is done
        # only after a block that touched files.
        unclean = _empty_scratch_dirs(b)
        if unclean:
            return unclean
        _invalidate_scratch_finders()
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
    import codecs

    while _registered_codecs:
        codecs.unregister(_registered_codecs.pop())
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
    # The C half of warnings keeps its own reference to the filters list it last read from
    # `warnings.filters` (Python/_warnings.c get_filters), and reads it again only while the
    # warnings module is in sys.modules. A block that warned inside catch_warnings() leaves it
    # pointing at catch_warnings' temporary copy; the next block's finalization, which empties
    # sys.modules, then used that stale list (an "always" filter showed a ResourceWarning that
    # a fresh interpreter ignores). One C-level warn with a throwaway registry makes it read
    # the restored list again; ImportWarning is ignored by the baseline filters, so nothing shows.
    import _warnings

    _warnings.warn_explicit("", ImportWarning, "<reset>", 0, registry={})
    return None
