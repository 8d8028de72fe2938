"""Control-flow trace of one block (issue 14): which line of ``example.py`` ran when, and what moved
control (an exception raised, handled, re-raised, a frame left by return, yield or unwinding).

Recorded with ``sys.monitoring`` (PEP 669; "sys.monitoring — Execution event monitoring" in the
library reference), restricted to the example's own code objects: LINE, PY_RETURN and PY_YIELD
are local events, set on the compiled ``<module>`` code object and every code object nested in
it (``set_local_events``); RAISE, RERAISE, EXCEPTION_HANDLED and PY_UNWIND cannot be local
("invalid local event set"), so they are global and filtered by code object. Only a traced run
(runner.ts ``RunOptions.trace``) takes a tool id; :func:`stop` frees it (``free_tool_id`` also
clears the callbacks), so a plain run pays nothing and reset.py's check of the tool ids passes.

The events are the shape of src/examples/trace-types.ts ``Trace``, encoded as JSON by
:func:`stop`. Two kinds of events CPython reports are left out because they are not the
example's control flow: EXCEPTION_HANDLED and RERAISE at instructions without a line (the
compiler's own cleanup handlers around ``finally`` and generators), and EXCEPTION_HANDLED that
leads to a ``finally`` rather than an ``except`` clause (the LINE event into ``finally`` says it).
"""

import ast
import json
import sys

import _example_reset as _reset

_monitoring = sys.monitoring
_events = _monitoring.events
_getframe = sys._getframe

#: Tool ids tried in this order: not DEBUGGER_ID (0), COVERAGE_ID (1), PROFILER_ID (2) or
#: OPTIMIZER_ID (5) first, which an example using ``sys.monitoring`` is likeliest to ask for.
_TOOL_IDS = (4, 3, 2, 1, 0, 5)
_TOOL_NAME = "example-tracer"

#: trace-types.ts ``MAX_TRACE_EVENTS``.
MAX_EVENTS = 10_000
#: trace-types.ts: ``value`` is cut to this many characters.
MAX_VALUE = 200
#: Exception and function names are cut to this many characters.
MAX_NAME = 200

_GLOBAL = _events.RAISE | _events.RERAISE | _events.EXCEPTION_HANDLED | _events.PY_UNWIND
_LOCAL = _events.LINE | _events.PY_RETURN | _events.PY_YIELD


class _State:
    """The run being traced (one at a time). Kept in one object, so that the module's namespace,
    which reset.py checks after every block, never changes."""

    def __init__(self):
        self.clear()

    def clear(self):
        self.tool = None
        self.codes = {}  # id(code) -> code, for the example's code objects
        self.events = []
        self.truncated = None
        self.output_units = None  # JavaScript function: UTF-16 units of output so far
        self.frames = {}  # id(frame) -> [frame number, last line]
        self.next_frame = 0
        self.pending_handled = {}  # frame number -> (exception name, output offset)
        self.phase = None  # 'atexit' / 'finalize' marker not yet emitted
        self.structure = None
        self.handler_lines = frozenset()


_state = _State()


def _name(value):
    text = str(value)
    return text if len(text) <= MAX_NAME else text[: MAX_NAME - 1] + "…"


def _safe_repr(value):
    """``repr(value)`` cut to :data:`MAX_VALUE` characters, without running the example's own
    ``__repr__`` (it could print, raise or take long, and change what the block does)."""
    seen = set()

    def walk(value, depth):
        cls = type(value)
        if cls in (int, float, complex, bool, type(None), str, bytes):
            text = repr(value) if cls is not int or value.bit_length() < 700 else f"<int of {value.bit_length()} bits>"
            return text if len(text) <= MAX_VALUE else text[:MAX_VALUE]
        if cls in (list, tuple, set, frozenset, dict) and depth < 3 and id(value) not in seen:
            seen.add(id(value))
            items = list(value.items() if cls is dict else value)[:20]
            parts = [f"{walk(k, depth + 1)}: {walk(v, depth + 1)}" for k, v in items] if cls is dict else [walk(v, depth + 1) for v in items]
            if len(value) > 20:
                parts.append("...")
            inner = ", ".join(parts)
            if cls is list:
                return f"[{inner}]"
            if cls is tuple:
                return f"({inner}{',' if len(value) == 1 else ''})"
            if cls is dict:
                return "{" + inner + "}"
            if not value:
                return f"{cls.__name__}()"
            return "{" + inner + "}" if cls is set else f"frozenset({{{inner}}})"
        return f"<{_name(getattr(cls, '__qualname__', '?'))} object>"

    try:
        text = walk(value, 0)
    except BaseException:
        text = "<?>"
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _exit_status(exc):
    """The ``$?`` a SystemExit gives (``_Py_HandleSystemExit``): None is 0, an int is itself
    (a shell sees its low byte), anything else is printed and gives 1."""
    code = getattr(exc, "code", None)
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    return 1


def _structure(source):
    """What the events alone cannot say, read with ``ast`` from the source: every ``try``
    statement (its body, ``except`` clauses, ``else`` and ``finally`` as 1-based line ranges) and
    the lines of ``return``, ``break``, ``continue`` and ``raise`` statements (trace-types.ts
    ``TraceStructure``)."""
    try:
        tree = ast.parse(source)
    except BaseException:
        return {"tries": [], "jumps": []}

    def span(body):
        return [body[0].lineno, body[-1].end_lineno] if body else None

    tries, jumps = [], {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Try, ast.TryStar)):
            tries.append({
                "line": node.lineno,
                "end": node.end_lineno,
                "body": span(node.body),
                "handlers": [
                    {
                        "line": h.lineno,
                        "end": h.end_lineno,
                        "type": _name(ast.unparse(h.type)) if h.type is not None else None,
                    }
                    for h in node.handlers
                ],
                "orelse": span(node.orelse),
                "finalbody": span(node.finalbody),
            })
        elif isinstance(node, (ast.Return, ast.Break, ast.Continue, ast.Raise)):
            jumps[node.lineno] = type(node).__name__.lower()
    tries.sort(key=lambda t: t["line"])
    return {"tries": tries[:1000], "jumps": [{"line": line, "kind": kind} for line, kind in sorted(jumps.items())]}


def _record(kind, line, code, frame_number, exception=None, value=None, exit_status=None):
    s = _state
    if len(s.events) + (s.phase is not None) >= MAX_EVENTS:
        _truncate(f"more than {MAX_EVENTS} events")
        return
    offset = s.output_units()
    if s.phase is not None:
        s.events.append({"kind": s.phase, "line": 0, "function": "", "outputOffset": offset})
        s.phase = None
    event = {"kind": kind, "line": line, "function": _name(code.co_qualname), "frame": frame_number, "outputOffset": offset}
    if exception is not None:
        event["exception"] = _name(type(exception).__name__)
    if value is not None:
        event["value"] = value
    if exit_status is not None:
        event["exitStatus"] = exit_status
    s.events.append(event)


def _truncate(reason):
    """Stop recording: every event off (the callbacks are no longer called)."""
    s = _state
    if s.truncated is None:
        s.truncated = reason
    if s.tool is not None:
        _monitoring.set_events(s.tool, 0)
        for code in s.codes.values():
            _monitoring.set_local_events(s.tool, code, 0)


def _frame(code):
    """The frame running ``code`` (our callback's caller): its number and last line, numbered in
    the order frames first report an event."""
    frame = _getframe(2)
    entry = _state.frames.get(id(frame))
    if entry is None:
        _state.next_frame += 1
        entry = _state.frames[id(frame)] = [_state.next_frame, code.co_firstlineno]
    return entry


def _line_at(code, offset, entry):
    """The line of the instruction at ``offset``, or the frame's last line when it has none."""
    for start, end, line in code.co_lines():
        if start <= offset < end:
            return line if line is not None else entry[1]
    return entry[1]


def _flush_handled(entry, line):
    """An EXCEPTION_HANDLED waiting for the frame's next event: kept when control goes to an
    ``except`` clause (``line``), dropped otherwise (a ``finally`` or a compiler cleanup)."""
    pending = _state.pending_handled.pop(entry[0], None)
    if pending is not None and line in _state.handler_lines:
        code, exception = pending
        _record("handled", line, code, entry[0], exception)


def _on_line(code, line):
    entry = _frame(code)
    if _state.pending_handled:
        _flush_handled(entry, line)
    entry[1] = line
    _record("line", line, code, entry[0])


def _on_return(code, offset, value):
    entry = _frame(code)
    if _state.pending_handled:
        _flush_handled(entry, None)
    _record("return", _line_at(code, offset, entry), code, entry[0], value=_safe_repr(value))
    _state.frames.pop(id(_getframe(1)), None)


def _on_yield(code, offset, value):
    entry = _frame(code)
    _record("yield", _line_at(code, offset, entry), code, entry[0], value=_safe_repr(value))


def _exception_callback(kind):
    def callback(code, offset, exception):
        if id(code) not in _state.codes:
            return
        entry = _frame(code)
        if kind == "handled":
            _state.pending_handled[entry[0]] = (code, exception)
            return
        if _state.pending_handled:
            _flush_handled(entry, None)
        line = None
        for start, end, at in code.co_lines():
            if start <= offset < end:
                line = at
                break
        if kind == "reraise" and line is None:
            return  # the compiler's own cleanup handler
        if line is None:
            line = entry[1]
        exit_status = _exit_status(exception) if kind == "raise" and isinstance(exception, SystemExit) else None
        _record(kind, line, code, entry[0], exception, exit_status=exit_status)
        if kind == "unwind":
            _state.frames.pop(id(_getframe(1)), None)

    callback.__name__ = callback.__qualname__ = f"_on_{kind}"
    return callback


_CALLBACKS = (
    (_events.LINE, _on_line),
    (_events.PY_RETURN, _on_return),
    (_events.PY_YIELD, _on_yield),
    (_events.RAISE, _exception_callback("raise")),
    (_events.RERAISE, _exception_callback("reraise")),
    (_events.EXCEPTION_HANDLED, _exception_callback("handled")),
    (_events.PY_UNWIND, _exception_callback("unwind")),
)

# reset.py's audit hook taints the interpreter on any sys.monitoring.register_callback but these.
_reset.own_monitoring_callbacks = tuple(callback for _, callback in _CALLBACKS)


def _code_objects(code, found):
    found[id(code)] = code
    for const in code.co_consts:
        if isinstance(const, type(code)) and id(const) not in found:
            _code_objects(const, found)
    return found


def start(code, source, output_units):
    """Start tracing the block's compiled ``code`` (from runner.py ``begin``), whose text is
    ``source``; ``output_units()`` answers the UTF-16 code units of output written so far
    (runner.ts). Called just before the block's code runs.

    Raises RuntimeError when every tool id is taken (no block has run yet, so only the runner
    itself could have taken them)."""
    s = _state
    s.clear()
    tool = next((t for t in _TOOL_IDS if _monitoring.get_tool(t) is None), None)
    if tool is None:
        raise RuntimeError("no free sys.monitoring tool id")
    _monitoring.use_tool_id(tool, _TOOL_NAME)
    s.tool = tool
    s.output_units = output_units
    s.structure = _structure(source)
    s.handler_lines = frozenset(h["line"] for t in s.structure["tries"] for h in t["handlers"])
    s.codes = _code_objects(code, {})
    for event, callback in _CALLBACKS:
        _monitoring.register_callback(tool, event, callback)
    for c in s.codes.values():
        _monitoring.set_local_events(tool, c, _LOCAL)
    _monitoring.set_events(tool, _GLOBAL)


def phase(name):
    """Mark where the script ended (``"atexit"``: atexit callbacks run from here) or where the
    atexit callbacks ended (``"finalize"``). The marker is recorded before the next event only,
    so a trace shows it only when the example's code runs in that phase."""
    if _state.tool is not None:
        _state.phase = name


def stop():
    """Stop tracing, free the tool id, and return the trace as JSON (trace-types.ts ``Trace``
    plus ``structure``). Safe to call when tracing never started (returns None)."""
    s = _state
    if s.tool is None:
        return None
    tool = s.tool
    try:
        _monitoring.set_events(tool, 0)
        for code in s.codes.values():
            _monitoring.set_local_events(tool, code, 0)
    finally:
        _monitoring.free_tool_id(tool)
    trace = {"events": s.events, "truncated": s.truncated, "structure": s.structure}
    s.clear()
    return json.dumps(trace)
