"""Run one example block the way ``python3 example.py`` runs a script in a terminal.

Loaded into a Pyodide interpreter by runner.ts, beside reset.py (the fresh state between
blocks); the verifier in Node and the reader's browser worker load these same files. runner.ts
writes the block to ``example.py`` in the working directory first, as the script file
``python3 example.py`` reads, so that tracebacks printed from C (``display_source_line``,
Python/traceback.c: "Exception ignored" reports) show its source lines.

The order of events follows ``Py_RunMain`` (Modules/main.c), ``_PyRun_SimpleFileObject``
(Python/pythonrun.c) and ``Py_FinalizeEx`` (Python/pylifecycle.c); runner.ts calls, in order:

1. :func:`begin`: prepare ``__main__`` and compile (SyntaxWarning/SyntaxError come first);
2. ``exec`` of the code object, straight from JavaScript, so that no frame of ours sits under
   the example's ``<module>`` frame;
3. :func:`report` when an exception escaped: ``flush_io`` (stderr, then stdout), then
   ``SystemExit`` through ``_Py_HandleSystemExit``, anything else through ``sys.excepthook``;
4. :func:`end_script`: ``__file__`` and ``__cached__`` leave ``__main__`` (not after
   ``SystemExit``, which exits from inside ``PyErr_Print``);
5. :data:`run_exitfuncs` (``atexit._run_exitfuncs``), again straight from JavaScript: CPython
   calls atexit callbacks with no Python frame, so their reports show none of ours;
6. :func:`finalize`: the rest of ``Py_FinalizeEx``: ``sys.is_finalizing()`` becomes True, flush
   (a failure is reported and makes the status 120), collect, then ``finalize_modules``:
   ``__main__`` and the example's own modules are released and collected before their names
   are set to None, and flush again.
"""

import atexit
import builtins
import gc
import io
import linecache
import os
import random
import sys
import types
import weakref
import _thread

import _example_reset as _reset
import _example_tracer as _tracer

#: The name tracebacks and warnings give the example, as if run with ``python3 example.py``.
FILENAME = "example.py"

#: ``$?`` after an unhandled KeyboardInterrupt: CPython re-raises SIGINT on itself at exit
#: (bpo-1054041, Python 3.8), and a shell reports death by signal N as 128 + N.
SIGINT_STATUS = 128 + 2

#: ``$?`` when flushing sys.stdout or sys.stderr failed at exit (``Py_RunMain``: "Value
#: unlikely to be confused with a non-error exit status or other special meaning").
FLUSH_FAILED_STATUS = 120

#: atexit callbacks, LIFO, each failure reported as "Exception ignored in atexit callback"
#: (``atexit_callfuncs``, Modules/atexitmodule.c); runner.ts calls it from JavaScript.
run_exitfuncs = atexit._run_exitfuncs

#: The attributes ``finalize_modules_delete_special`` (Python/pylifecycle.c) sets to None.
_SYS_DELETES = (
    "path", "argv", "ps1", "ps2", "last_exc", "last_type", "last_value", "last_traceback",
    "__interactivehook__", "meta_path",
)

#: Written to fd 2 when Pyodide is about to call sys.excepthook for an exception that ended the
#: block: Pyodide captures fd 2 while the hook runs (its message is what was written), and what
#: comes before the mark was left in sys.stderr's buffer, which CPython flushes before the hook.
#: (No NUL in it: Pyodide reads the message as a C string.)
_MARK = "\x02excepthook-" + os.urandom(8).hex() + "\x03"


def _unraisable_args_type():
    """``sys.UnraisableHookArgs``, which CPython does not name: taken from a hook call."""
    seen = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append

    class Raises:
        def __del__(self):
            raise RuntimeError

    try:
        Raises()
    finally:
        sys.unraisablehook = previous
    return type(seen[0])


_UnraisableHookArgs = _unraisable_args_type()


#: What ``sys.is_finalizing()`` answers: held from :func:`finalize` until the next block begins.
#: CPython's flag is C state of the interpreter (``_PyRuntimeState_SetFinalizing``) that Python
#: cannot set, and setting it would also stop later blocks; so :func:`prepare` replaces
#: ``sys.is_finalizing``, once and before the baseline, with this lock's ``locked``: a builtin
#: method (``type()`` is ``builtin_function_or_method``, as the original's), taking no argument
#: and answering a bool, that gives the right answer through every reference to it, including
#: one saved before exit (``is_finalizing = sys.is_finalizing`` in a class, test_sys's
#: test_is_finalizing). Its name and ``repr`` differ (``locked``, a ``_thread.lock`` method).
_finalizing = _thread.allocate_lock()


class _Run:
    """State of the block being run (one at a time)."""

    #: Between begin() and report()/end_script(): a ``sys.excepthook`` audit event is Pyodide's.
    running = False
    #: The block ended with SystemExit (``Py_Exit`` leaves ``__file__`` in ``__main__``).
    system_exit = False
    #: The block ended with an unhandled KeyboardInterrupt (``_Py_UnhandledKeyboardInterrupt``).
    interrupted = False
    #: The block's sys.stdout and sys.stderr, released at the very end of finalize().
    streams = None
    #: What finalize() hands to finalize_modules(): (flushed, weak references to the modules, dirty).
    finalize_state = None


_run = _Run()


def _terminal_stdio(pipe=False, unbuffered=False):
    """New ``sys.stdout``/``sys.stderr`` configured as CPython's ``create_stdio``
    (Python/pylifecycle.c) configures them; stdout uses ``errors="strict"``, stderr
    ``"backslashreplace"``.

    In a terminal (the default) both are line-buffered text layers over a buffered writer on
    fd 1 and 2. With ``pipe`` (``python3 example.py > out.txt 2>&1``; runner.ts makes fd 1 and
    2 answer False to ``isatty()``) stdout is not line-buffered: its bytes reach the file when
    the ``io.DEFAULT_BUFFER_SIZE`` buffer fills, on an explicit flush or at exit; stderr stays
    line-buffered (``fd == fileno(stderr)``, CPython 3.9+). With ``unbuffered``
    (``PYTHONUNBUFFERED``, ``-u``) both text layers write through to the raw file, with no
    buffered writer and no line buffering. A partial line stays in a buffer until a newline,
    an explicit flush or interpreter exit, which is why ``os._exit`` loses it.
    """

    def stream(fd, errors):
        raw = io.FileIO(fd, "w", closefd=False)
        buffer = raw if unbuffered else io.BufferedWriter(raw)
        line_buffering = not unbuffered and (not pipe or fd == 2)
        return io.TextIOWrapper(
            buffer, encoding="utf-8", errors=errors, line_buffering=line_buffering, write_through=unbuffered
        )

    return stream(1, "strict"), stream(2, "backslashreplace")


def _startup_env(env_lines):
    """Apply the block's start-up variables (``env=`` meta, validated by runner.ts; one
    ``NAME=value`` per line) to ``os.environ``, as the process would have inherited them
    (reset.py restores it); return True when they make the standard streams unbuffered
    (``PYTHONUNBUFFERED`` non-empty, Python/initconfig.c)."""
    env = dict(line.split("=", 1) for line in env_lines.split("\n") if line)
    os.environ.update(env)
    return env.get("PYTHONUNBUFFERED", "") != ""


def _write_stderr(text):
    """``PyFile_WriteObject`` to sys.stderr, or to fd 2 when it is None or fails (as
    ``PySys_WriteStderr`` falls back to C's stderr)."""
    stream = getattr(sys, "stderr", None)
    if stream is not None:
        try:
            stream.write(text)
            return
        except BaseException:
            pass
    try:
        os.write(2, text.encode("utf-8", "backslashreplace"))
    except BaseException:
        pass


def _flush(name):
    """``flush_io_stream`` (Python/pythonrun.c): flush sys.<name>, ignoring every error."""
    try:
        stream = getattr(sys, name, None)
        if stream is not None:
            stream.flush()
    except BaseException:
        pass


def _exit_status_of(exc):
    """The status ``_Py_HandleSystemExit`` derives from ``SystemExit.code``, printing non-ints.

    None -> 0; an int -> that int (the OS keeps its low 8 bits; beyond 64 bits, -1); anything else is written
    to stderr with ``str()`` and a newline (to fd 2 when sys.stderr is None), and the status is 1.
    """
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        # (int)PyLong_AsLongLong(code), -1 on overflow (gh-125842); the OS keeps 8 bits.
        return (code if -(2**63) <= code < 2**63 else -1) & 0xFF
    try:
        text = str(code)
    except BaseException:
        text = ""
    _write_stderr(text)
    _write_stderr("\n")
    return 1


def next_module_dict():
    """``finalize_modules_clear_weaklist`` (Python/pylifecycle.c) one module at a time, for
    runner.ts, which sets the names to None itself: the namespace of the next of the example's
    modules still alive, modules imported later first, or None when there is none left."""
    weaklist = _run.finalize_state[1]
    while weaklist:
        module = weaklist.pop()()
        if module is not None:
            return module.__dict__
    return None


def module_dict_keys(namespace, first):
    """The names ``_PyModule_ClearDict`` (Objects/moduleobject.c) sets to None in its first pass
    (``first``: one leading underscore) or its second (every name but ``__builtins__``); names
    whose value is None already are left out, as there."""
    if first:
        return [k for k, v in namespace.items() if isinstance(k, str) and k[:1] == "_" and k[1:2] != "_" and v is not None]
    return [k for k, v in namespace.items() if isinstance(k, str) and k != "__builtins__" and v is not None]


def _on_excepthook():
    """Audit hook for ``sys.excepthook``: flush what sys.stderr holds into Pyodide's capture,
    then mark where the hook's own output starts (see :data:`_MARK`)."""
    if not _run.running:
        return
    _run.running = False
    _flush("stderr")
    try:
        os.write(2, _MARK.encode())
    except BaseException:
        pass


def _report(exc, displayed=None):
    """Report an exception that escaped the example, as ``PyErr_Print`` does; return the status.

    ``displayed`` is what Pyodide captured from fd 2 when the exception crossed into JavaScript
    (it calls ``sys.excepthook`` itself): what the buffer of sys.stderr held, :data:`_MARK`, then
    the hook's output. None when the hook has not run (a SyntaxError from compile()).
    """
    _run.running = False
    residue, hook_output = "", displayed
    if displayed is not None and _MARK in displayed:
        residue, _, hook_output = displayed.partition(_MARK)
    # flush_io() before PyErr_Print: what stderr held, then stdout's partial line.
    if residue:
        _write_stderr(residue)
    _flush("stderr")
    _flush("stdout")
    if isinstance(exc, SystemExit):
        _run.system_exit = True
        # handle_system_exit() runs before PyErr_Print would set sys.last_exc; Pyodide set it
        # when the exception crossed into JavaScript.
        for name in ("last_exc", "last_type", "last_value", "last_traceback"):
            sys.__dict__.pop(name, None)
        return _exit_status_of(exc)
    if isinstance(exc, KeyboardInterrupt):
        _run.interrupted = True
    if hook_output is None:
        try:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        except BaseException:
            pass
    elif hook_output and getattr(sys, "stderr", None) is not None:
        # PyErr_Display writes nothing when sys.stderr is None.
        try:
            sys.stderr.write(hook_output)
        except BaseException:
            pass
    return SIGINT_STATUS if isinstance(exc, KeyboardInterrupt) else 1


def begin(source, shift_heap=False, pipe=False, env_lines=""):
    """Prepare ``__main__`` and compile ``source``; with ``shift_heap``, first take a random
    number of blocks of every small-object size class (see :func:`_shift_heap`). ``pipe``:
    stdout is a file, not a terminal; ``env_lines``: the block's start-up variables, one
    ``NAME=value`` per line (see :func:`_terminal_stdio` and :func:`_startup_env`).

    Returns ``(code, namespace, status)``: the code object to execute in ``namespace`` (runner.ts
    calls ``exec`` directly from JavaScript, so no frame of ours sits under the example's
    ``<module>`` frame, as under CPython), or ``code`` None and the exit status when compiling
    failed (the SyntaxError has been reported).
    """
    if _finalizing.locked():
        _finalizing.release()
    _run.streams = _terminal_stdio(pipe, _startup_env(env_lines))
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__ = _run.streams
    _run.running, _run.system_exit, _run.interrupted = True, False, False
    main = types.ModuleType("__main__")
    main.__file__ = FILENAME
    main.__builtins__ = builtins
    main.__cached__ = None
    sys.modules["__main__"] = main
    sys.argv = [FILENAME]
    # Pyodide installs traceback.print_exception as the hook; CPython's is the builtin.
    sys.excepthook = sys.__excepthook__
    # Tracebacks read source lines through linecache (C tracebacks read example.py itself); an
    # mtime of None marks the entry as not backed by a file, so linecache.checkcache() keeps
    # it, and a block that changes directory still shows its lines, as with CPython's absolute
    # script path.
    linecache.cache[FILENAME] = (len(source), None, source.splitlines(True), FILENAME)
    # CPython seeds the random module from os.urandom at start-up; a reused interpreter must
    # too, or an example's "random" output would depend on the examples before it.
    random.seed()
    _fresh_asyncio()
    if shift_heap:
        _shift_heap()
    try:
        code = compile(source, FILENAME, "exec")
    except BaseException as exc:
        # A script that does not compile has run no frame: CPython's report shows none.
        return None, main.__dict__, _report(exc.with_traceback(None))
    return code, main.__dict__, 0


_ballast = []


def _shift_heap():
    """Hold 1–16 bytes objects of each size up to 512 bytes (pymalloc's small-object size
    classes), a random number chosen by ``os.urandom`` (not the example's ``random``), so that
    the next objects of every size get other addresses than in a run without it. ``id()`` is
    an address in CPython, so output showing one then differs between two verifier runs, as it
    does between two runs of ``python3``. Freed by :func:`finalize`."""
    counts = os.urandom(32)
    for size_class, count in enumerate(counts):
        # A bytes object of n bytes takes 33 + n bytes: n below fills the class of 16 * (k + 1).
        length = max(0, 16 * (size_class + 1) - 33)
        _ballast.extend(bytes(length) for _ in range(1 + count % 16))


def report(exc, displayed):
    """Report the exception that ended the example (``sys.last_exc``) given the message of the
    JavaScript error Pyodide made of it (what it captured of fd 2); return the exit status."""
    return _report(exc, displayed)


def end_script():
    """The end of ``_PyRun_SimpleFileObject``: ``__file__`` and ``__cached__`` leave
    ``__main__``, unless the block ended with SystemExit (``Py_Exit`` is called from inside
    ``PyErr_Print`` and never returns there)."""
    _run.running = False
    main = sys.modules.get("__main__")
    if not _run.system_exit and isinstance(main, types.ModuleType):
        main.__dict__.pop("__file__", None)
        main.__dict__.pop("__cached__", None)


def _unraisable(message, exc):
    """``PyErr_FormatUnraisable(message)`` with no current frame: sys.unraisablehook, or the
    default hook when that one fails."""
    tb = exc.__traceback__
    # Our own frame is the first of the traceback; CPython's flush is called from C.
    exc.__traceback__ = tb.tb_next if tb is not None else None
    args = _UnraisableHookArgs((type(exc), exc, exc.__traceback__, message, None))
    hook = getattr(sys, "unraisablehook", None)
    try:
        if hook is None:
            raise RuntimeError("lost sys.unraisablehook")
        hook(args)
    except BaseException:
        try:
            sys.__unraisablehook__(args)
        except BaseException:
            pass


def _flush_std_files():
    """``flush_std_files`` (Python/pylifecycle.c): flush sys.stdout unless it is missing, None
    or closed, reporting a failure as "Exception ignored while flushing sys.stdout"; then
    sys.stderr, silently. Returns False when either failed (the exit status becomes 120)."""
    ok = True
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name, None)
        if stream is None:
            continue
        try:
            closed = bool(stream.closed)
        except BaseException:
            closed = False
        if closed:
            continue
        try:
            stream.flush()
        except BaseException as exc:
            ok = False
            if name == "stdout":
                _unraisable("Exception ignored while flushing sys.stdout", exc)
    return ok


def _own_module(module):
    """True for a module the example made itself: one with no spec (``types.ModuleType``) or
    loaded from a scratch folder. Standard-library modules it imported are left alone: C state
    (the codec cache, say) may hold them for later blocks."""
    spec = module.__dict__.get("__spec__")
    origin = getattr(spec, "origin", None)
    if spec is None or not isinstance(origin, str):
        return True
    return any(origin.startswith(folder + "/") for folder in _reset.SCRATCH_DIRS)


def finalize(dirty=None):
    """The rest of ``Py_FinalizeEx`` after the atexit callbacks, in steps run by runner.ts:
    this one; emptying ``sys.modules``, a collection and the clearing of the example's modules,
    from JavaScript; then :func:`finalize_modules`, which returns False when flushing sys.stdout
    or sys.stderr failed (``Py_RunMain`` then exits 120).

    ``sys.is_finalizing()`` answers True from here until the next block begins (see
    :data:`_finalizing`). Then:
    flush; collect; ``finalize_modules``: the special ``sys`` attributes are set to None (imports
    fail from here, as at CPython's exit) and the standard streams put back (here ends this
    call, which returns ``sys.modules.clear`` for runner.ts to call), ``sys.modules`` is
    emptied, builtins restored, and a collection finalizes ``__main__``
    and the example's own modules with their globals intact; those still alive then have their
    names set to None.
    What the example hung on standard-library modules is dropped (their namespaces restored)
    and collected, and everything is flushed again. ``dirty``: ids of the baseline dicts the
    block changed (runner.ts's dict watcher; None: compare them all), see reset.py.
    """
    _finalizing.acquire(False)
    ok = _flush_std_files()
    _ballast.clear()
    gc.collect()
    # finalize_modules_delete_special
    builtins._ = None
    for name in _SYS_DELETES:
        setattr(sys, name, None)
    for name in ("stdin", "stdout", "stderr"):
        setattr(sys, name, sys.__dict__.get("__" + name + "__"))
    # finalize_remove_modules: weak references to the modules the example made, in import order.
    weaklist = []
    for name, module in list(sys.modules.items()):
        if isinstance(module, types.ModuleType) and (name == "__main__" or name not in _reset.baseline_modules()) and _own_module(module):
            try:
                weaklist.append(weakref.ref(module))
            except TypeError:
                pass
    module = None
    _run.finalize_state = (ok, weaklist, dirty)
    # runner.ts calls it: the modules it releases (``__main__`` and what it holds) are
    # finalized with no Python frame of ours below them, as in CPython.
    return sys.modules.clear


def finalize_modules():
    """The rest of :func:`finalize`. Before it, runner.ts ran from JavaScript, with no Python
    frame of ours below what they finalize, the emptying of ``sys.modules``, CPython's
    collection that follows it (``_PyGC_CollectNoFail`` in ``finalize_modules``) and the
    clearing of the example's modules (:func:`next_module_dict`, :func:`module_dict_keys`): there, as in CPython,
    a warning raised at stack level 1 by a dying object (a coroutine never awaited once
    ``warnings`` cannot be imported, an unclosed file's ResourceWarning) is reported as
    ``<sys>:0``, not at a runner line, and its registry is not the runner's module. Returns
    False when flushing sys.stdout or sys.stderr failed."""
    ok, weaklist, dirty = _run.finalize_state
    _run.finalize_state = None
    # Our extension: what the example hung on standard modules (and builtins) goes now, while
    # its output is still recorded and imports still fail; the next block needs those modules
    # intact anyway. Then sys itself.
    _reset.restore_namespaces(keep_sys=True, dirty=_reset._dirty_set(dirty))
    gc.collect()
    # CPython clears sys's own dict last of all (finalize_clear_sys_builtins_dict), when it no
    # longer holds the standard streams: what an example hung on sys (``sys.keep = obj``,
    # ``sys.path.append(obj)``) dies where a __del__'s print or a finally's output goes nowhere
    # (3.11 and 3.13 print nothing; oracle case sys-ignores-user-data). So sys is restored
    # while its old contents are held, and they are dropped with no stream in sys.
    held = [sys.__dict__.copy()] + [value.copy() for value in sys.__dict__.values() if type(value) in (list, dict, set)]
    _reset.restore_namespaces(only_sys=True)
    streams = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = None
    try:
        held = None
        gc.collect()
    finally:
        sys.stdout, sys.stderr = streams
    ok = _flush_std_files() and ok
    # CPython finalizes the standard streams last of all, where a failing flush (a closed fd)
    # is reported nowhere; so here.
    hook = sys.unraisablehook
    sys.unraisablehook = _ignore
    try:
        _run.streams = None
        gc.collect()
    finally:
        sys.unraisablehook = hook
    if _pending_loops():
        _reset._taint("an asyncio task was left pending")
    return ok


def _ignore(*args):
    """An unraisable hook that reports nothing."""


def exit_status(status, flushed):
    """The final ``$?`` (``Py_RunMain``): 120 when the final flush failed, and 130 after an
    unhandled KeyboardInterrupt whatever else happened (``exit_sigint``)."""
    if _run.interrupted:
        return SIGINT_STATUS
    return status if flushed else FLUSH_FAILED_STATUS


def _own_modules():
    """The runner's own modules: this one, reset.py's and tracer.py's (installed before it by
    runner.ts ``installRunner``), hidden from examples and checked rather than restored."""
    return [sys.modules[__name__], _reset, _tracer]


def prepare():
    """Before the memory snapshot is taken (runner.ts ``installRunner``): install CPython's own
    ``asyncio.run`` with a fresh policy (see :func:`_fresh_asyncio`) and ``sys.is_finalizing``
    (see :data:`_finalizing`), then capture the interpreter's baseline (reset.py ``prepare``).
    Everything here is Python state, so every interpreter restored from the snapshot starts
    with it; what needs the JavaScript host comes after the restore (:func:`install_host`)."""
    asyncio.run = _runners.run
    _fresh_asyncio()
    sys.is_finalizing = _finalizing.locked
    _reset.on_excepthook = _on_excepthook
    _reset.prepare(_own_modules())


def install_host(host):
    """After each restore from the snapshot, before the first block: install the waits and the
    recursion ceiling of ``host`` (runner.ts, host-waits.ts; see :func:`_install_host`), then let
    reset.py take what the restore and this step changed into its baseline (``resume``)."""
    _install_host(host)
    _reset.resume(_own_modules())


# --- Waiting, interrupts and asyncio ---------------------------------------------------------
#
# CPython's time.sleep and its event loop's select() block the thread, and Ctrl-C (SIGINT)
# interrupts them: the handler runs at once. Pyodide's time.sleep and asyncio.run instead wait on
# the JavaScript event loop through JSPI, where no interrupt reaches them, and its WebLoop has no
# life cycle (asyncio.run neither cancels pending tasks nor closes async generators). So the
# example gets CPython's asyncio.run and asyncio.Runner (Lib/asyncio/runners.py, unchanged) over
# CPython's BaseEventLoop, whose only wait is the host's blocking one (host-waits.ts).

import asyncio
import time
from asyncio import base_events as _base_events
from asyncio import events as _events
from asyncio import runners as _runners

#: The host's functions (host-waits.ts), set by :func:`prepare`.
_host = None
#: Event loops the example made, to find tasks it left pending (see :func:`_pending_loops`).
_loops = weakref.WeakSet()


class _BlockingSelector:
    """What ``BaseEventLoop._run_once`` polls: ``select(timeout)`` blocks the thread for
    ``timeout`` seconds (None: until interrupted), or less when SIGINT arrives, whose handler runs
    before it returns, as after ``select()`` fails with EINTR. There are no file descriptors to
    watch: it returns no events."""

    def select(self, timeout):
        _host.wait(-1 if timeout is None else timeout)
        return ()

    def close(self):
        pass


class _ExampleLoop(_base_events.BaseEventLoop):
    """CPython's ``BaseEventLoop`` (scheduling, ``run_forever``, ``close``, async generator
    hooks, ``shutdown_asyncgens``, ``shutdown_default_executor``) with a blocking wait and no
    I/O. ``run_in_executor(None, f)`` calls ``f`` at once, as Pyodide's WebLoop does: WebAssembly
    has no threads for the default executor."""

    def __init__(self):
        super().__init__()
        self._selector = _BlockingSelector()
        _loops.add(self)

    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        # No other thread can add a callback while the loop waits; a signal handler runs
        # before the wait returns.
        pass

    def run_in_executor(self, executor, func, *args):
        if executor is not None:
            return super().run_in_executor(executor, func, *args)
        self._check_closed()
        self._check_default_executor()
        future = self.create_future()
        try:
            future.set_result(func(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future


class _ExamplePolicy(_events._BaseDefaultEventLoopPolicy):
    """The event loop policy of ``python3 example.py`` on Unix (no current loop until one is
    set; ``new_event_loop`` makes an :class:`_ExampleLoop`)."""

    _loop_factory = _ExampleLoop


def _install_host(host):
    """Give the example CPython's blocking, interruptible ``time.sleep`` and the recursion
    ceiling, both functions of the JavaScript host (CPython's ``asyncio.run``, which replaces
    Pyodide's wrapper that delegates to WebLoop, is installed before the snapshot by :func:`prepare`)."""
    global _host
    _host = host
    import pyodide.webloop

    import signal

    def default_sigint():
        return signal.getsignal(signal.SIGINT) is signal.default_int_handler

    host.originals(pyodide.webloop._orig_sleep, sys.setrecursionlimit, sys.getrecursionlimit, default_sigint)
    time.sleep = host.sleep
    sys.setrecursionlimit = host.setrecursionlimit
    sys.getrecursionlimit = host.getrecursionlimit


def _fresh_asyncio():
    """As at the start of ``python3 example.py``: no running loop (Pyodide marks its WebLoop as
    running on the thread), and a new policy with no current loop."""
    _events._set_running_loop(None)
    _events._set_event_loop_policy(_ExamplePolicy())


def _pending_loops():
    """True when an event loop of the example still holds an unfinished task after its
    finalization (its ``finally`` would run in a later block when the task is collected)."""
    for loop in list(_loops):
        if _reset._pending_tasks(loop):
            return True
    return False
