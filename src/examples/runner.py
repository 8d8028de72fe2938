"""Run one example block the way ``python3 example.py`` runs a script in a terminal.

Loaded into a Pyodide instance by runner.ts (Node and the browser worker load this same file).
The entry point is :func:`run`; it returns the exit status the shell would report
(``$?``), after everything CPython prints on the way out has been written to fd 1 and 2.

The order of events follows ``Py_RunMain`` (Modules/main.c) and ``Py_FinalizeEx``
(Python/pylifecycle.c):

1. compile the source (SyntaxWarning/SyntaxError are reported here, before any output);
2. execute it as ``__main__``: ``finally`` blocks run while an exception unwinds;
3. report an uncaught exception: ``SystemExit`` through ``_Py_HandleSystemExit``
   (Python/pythonrun.c), anything else through ``sys.excepthook`` (a traceback);
4. finalize: ``atexit`` callbacks in LIFO order, then flush stdout, then stderr.
"""

import atexit
import builtins
import io
import linecache
import sys
import types

#: The name tracebacks and warnings give the example, as if run with ``python3 example.py``.
FILENAME = "example.py"

#: ``$?`` after an unhandled KeyboardInterrupt: CPython re-raises SIGINT on itself at exit
#: (bpo-1054041, Python 3.8), and a shell reports death by signal N as 128 + N.
SIGINT_STATUS = 128 + 2


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


def run(source):
    """Execute ``source`` as the ``__main__`` script; return the shell's exit status (0-255)."""
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
    status = 0
    try:
        code = compile(source, FILENAME, "exec")
        exec(code, main.__dict__)
    except SystemExit as exc:
        status = _exit_status_of(exc)
    except BaseException as exc:
        sys.excepthook(type(exc), exc, _strip_runner_frames(exc.__traceback__))
        status = SIGINT_STATUS if isinstance(exc, KeyboardInterrupt) else 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    return status
