"""Run `example.py` as `python3 example.py` runs in a terminal, for the verifier's native runner.

native.ts starts this file with the CPython being verified with, in isolated mode
(`python3 -I native-pty.py`), with the example's temporary folder as the working directory and
the example's environment. Node has no pseudo-terminal API; Python's standard library has one,
and the interpreter is already there, so no other program is needed.

The example runs in a new session whose controlling terminal is a fresh pseudo-terminal:
stdout is the terminal (so CPython line-buffers it, as in a terminal), stderr is a pipe (so the
two streams can be told apart; CPython line-buffers stderr in any case since 3.9), stdin is
/dev/null (at EOF, as in the WebAssembly runner). The terminal does no output processing
(no "\\n" -> "\\r\\n") and is 80 x 24. The example's process id is its process group id: the
time limit (native.ts) signals the whole group.

Protocol: one JSON object per line on this helper's stdout.
  {"pid": N}            the example started; N is its process id and process group id
  {"out": "<base64>"}   bytes the example (or a process it started) wrote to the terminal
  {"err": "<base64>"}   bytes written to stderr
  {"exit": N}           the example ended; N as a shell reports it ($?): 128 + S after signal S
  {"error": "..."}      the example could not be started
When the example's main process has ended, the rest of its process group is killed (SIGKILL):
nothing it started outlives the run. So is the whole group if this helper is stopped (SIGINT,
SIGTERM, SIGHUP) or its parent dies.

Order of the two streams: when stdout and stderr both hold unread bytes at the same moment, the
terminal's are taken first. That gives the true order when a block writes its output and then a
traceback; two writes to different streams within the same instant may be shown out of order.

With the argument `--pipe` (a `stdout=pipe` block: `python3 example.py > out.txt 2>&1`) there is
no terminal: stdout and stderr are one pipe, so CPython block-buffers stdout, and the bytes are
relayed in the order they reached it, all as "out" (the file holds no mark of their stream).
"""

import base64
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios

# How often (s) the helper checks that its parent (the verifier) is still alive while it waits.
PARENT_CHECK_S = 0.5


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def shell_status(returncode):
    # Popen gives -S for death by signal S; a shell reports 128 + S.
    return 128 - returncode if returncode < 0 else returncode & 0xFF


def stop(signum, _frame):
    raise SystemExit(128 + signum)


def open_terminal():
    """A pseudo-terminal pair (master, slave) with no output processing and an 80 x 24 size."""
    master, slave = os.openpty()
    attributes = termios.tcgetattr(slave)
    attributes[1] &= ~termios.OPOST  # oflag: bytes reach the master as written
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return master, slave


def take_terminal():
    # In the child, after setsid(): fd 1 (the pseudo-terminal) becomes the controlling terminal.
    fcntl.ioctl(1, termios.TIOCSCTTY, 0)


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def read_into(fd, streams):
    """Relay what `fd` holds; forget the stream at its end (EOF, or EIO once no process holds the terminal)."""
    try:
        data = os.read(fd, 65536)
    except BlockingIOError:
        return False
    except OSError:
        data = b""
    if not data:
        del streams[fd]
        return False
    emit({streams[fd]: base64.b64encode(data).decode("ascii")})
    return True


def main(pipe=False):
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    if pipe:
        # One pipe for both: `> out.txt 2>&1`. (No terminal: no controlling terminal to take.)
        master, slave = os.pipe()
        err_read, err_write = master, slave
    else:
        master, slave = open_terminal()
        err_read, err_write = os.pipe()
    # SIGCHLD wakes select() at once when the example ends.
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    try:
        child = subprocess.Popen(
            [sys.executable, "example.py"],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=err_write,
            start_new_session=True,
            preexec_fn=None if pipe else take_terminal,
        )
    except (OSError, subprocess.SubprocessError) as error:
        emit({"error": str(error)})
        return 1
    os.close(slave)
    if err_write != slave:
        os.close(err_write)
    parent = os.getppid()
    # The terminal first (see the module docstring); with --pipe, the one pipe.
    order = (master,) if pipe else (master, err_read)
    streams = {master: "out"} if pipe else {master: "out", err_read: "err"}
    try:
        emit({"pid": child.pid})
        while child.poll() is None:
            ready, _, _ = select.select([*streams, wake_read], [], [], PARENT_CHECK_S)
            if wake_read in ready:
                os.read(wake_read, 512)
            for fd in order:
                if fd in ready and fd in streams:
                    read_into(fd, streams)
            if os.getppid() != parent:
                return 1
    finally:
        kill_group(child.pid)
    # The group is dead: what it wrote is all in the buffers. Read it to the end.
    for fd in list(streams):
        os.set_blocking(fd, False)
    for fd in order:
        while fd in streams and read_into(fd, streams):
            pass
    emit({"exit": shell_status(child.returncode)})
    return 0


if __name__ == "__main__":
    sys.exit(main(pipe="--pipe" in sys.argv[1:]))
