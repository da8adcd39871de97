"""Execute one submission for `npm run grade` and report every code cell.

Called by tools/exercises/grade.mjs; not meant to be run by hand. Reads the
notebook to execute (the student's cells with the instructor's test cells put
back) as JSON on stdin: it is never written where the kernel can see it. The
kernel is the grader's kernelspec (a sandboxed tslab, see sandbox.sh).

Every code cell runs even when an earlier one failed (nbclient allow_errors),
and gets a status: ok | error | timeout | memory | died | not-run.
  - error: the cell raised, or TypeScript refused to compile it; the message
    is the first line of the error.
  - timeout: the cell ran longer than --cell-timeout (or the submission used
    up --time-limit): the kernel is killed.
  - memory: the kernel used more than --memory-mb (resident memory, checked
    ten times a second) or hit the JavaScript heap limit: the kernel is killed.
  - died: the kernel process ended while running the cell (process.exit(),
    a crash, a signal).
  - error is also the status of a cell after which the kernel sent something
    the client cannot read (everything the kernel sends is untrusted): the
    kernel is restarted as after a timeout.
After a kill or a death the notebook runs again from the top in a fresh
kernel, skipping the cells that broke it, so one broken exercise costs only
its own points. A cell counts as passed only with status ok AND the marker
(--marker) printed by its last line: a cell whose end was never reached
cannot pass, whatever the kernel reports.

Progress goes to stdout as JSON lines; the last is {"event": "done", ...}.
Exit status: 0 the notebook was executed (whatever its cells did), 3 the
kernel could not be started (an installation problem, not the student's).
"""
import argparse
import asyncio
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TS_ERROR = re.compile(r"^\d+:\d+ - ")
JS_ERROR = re.compile(r"^(?:Uncaught )?(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception)\b")
HEAP_OOM = re.compile(r"heap out of memory|Reached heap limit|Fatal process out of memory|Allocation failed")


def emit(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def clip(text, limit=300):
    """One line of student-controlled text, safe to print on the instructor's terminal."""
    text = CONTROL.sub(" ", ANSI.sub("", text or "")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_message(outputs):
    """The first line worth showing from a failed cell's outputs."""
    for o in outputs:
        if o.get("output_type") == "error":
            return clip(f"{o.get('ename', 'Error')}: {o.get('evalue', '')}".splitlines()[0])
    text = ANSI.sub("", "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"))
    lines = [l for l in text.splitlines() if l.strip()]
    ts = [l for l in lines if TS_ERROR.match(l)]
    if ts:  # tslab prints compile errors as "line:column - message", relative to the cell
        more = f" (and {len(ts) - 1} more)" if len(ts) > 1 else ""
        return clip(f"TypeScript error at {ts[0]}{more}")
    js = [l for l in lines if JS_ERROR.match(l)]
    if js:
        return clip(js[-1])
    plain = [l for l in lines if not l.startswith("evalmachine.") and not l.lstrip().startswith(("at ", "^"))]
    return clip(plain[-1] if plain else "failed without an error message")


# --- the kernel's processes -------------------------------------------------

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def descendants(root):
    """root and every process below it (from /proc; empty where there is none)."""
    children = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return [root]
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read().decode("latin-1")
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def resident_bytes(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            pass
    return total


def kill_tree(root):
    for pid in reversed(descendants(root)):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


class Watchdog(threading.Thread):
    """Kills the kernel's process tree when its resident memory passes the limit."""

    def __init__(self, root, limit_bytes):
        super().__init__(daemon=True)
        self.root, self.limit, self.fired, self.peak = root, limit_bytes, None, 0
        self.stopped = threading.Event()

    def run(self):
        if not os.path.isdir("/proc"):
            return
        while not self.stopped.wait(0.1):
            rss = resident_bytes(descendants(self.root))
            self.peak = max(self.peak, rss)
            if self.limit and rss > self.limit:
                self.fired = rss
                kill_tree(self.root)
                return


def heap_exhausted(tail):
    """Did V8 report running out of memory before the kernel died?"""
    tail.join(timeout=1.0)  # the pipe ends when the kernel's processes are gone
    return bool(HEAP_OOM.search(tail.text()))


class Client(NotebookClient):
    """nbclient with caps on the output a cell, and the whole notebook, may produce
    (a lesson's first figure carries plotly.js, a few MB, so the caps are generous)."""

    max_cell_bytes = 16 << 20
    max_total_bytes = 64 << 20

    def output(self, outs, msg, display_id, cell_index):
        used = self._output_used.get(cell_index, 0)
        total = sum(self._output_used.values())
        size = len(json.dumps(msg.get("content", {})))
        if used + size > self.max_cell_bytes or total + size > self.max_total_bytes:
            if cell_index not in self._output_capped:
                self._output_capped.add(cell_index)
                outs.append(nbformat.v4.new_output("stream", name="stderr", text="[grader: the rest of this cell's output was dropped: too large]\n"))
            return None
        self._output_used[cell_index] = used + size
        return super().output(outs, msg, display_id, cell_index)


class OutputTail(threading.Thread):
    """Drains the kernel process's own stdout and stderr (a pipe), keeping only the end:
    a student writing to fd 2 in a loop must not fill the grader's disk or memory."""

    def __init__(self, stream, keep=64 << 10):
        super().__init__(daemon=True)
        self.stream, self.keep, self.data = stream, keep, bytearray()

    def run(self):
        try:
            for chunk in iter(lambda: self.stream.read1(65536), b""):
                self.data += chunk
                if len(self.data) > 2 * self.keep:
                    del self.data[: len(self.data) - self.keep]
        except (OSError, ValueError):
            pass

    def text(self, limit=4000):
        return bytes(self.data[-limit:]).decode("utf8", "replace")


async def run(nb, args):
    started = time.monotonic()
    deadline = started + args.time_limit
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    broken = {}  # cell index -> result of a cell that killed or hung the kernel
    broken_outputs = {}
    results = {}
    attempt = 0
    while True:
        attempt += 1
        results = {}
        restart = False
        tail = None
        client = Client(nb, kernel_name=args.kernel, allow_errors=True, timeout=max(1, int(args.cell_timeout)), startup_timeout=int(args.startup_timeout))
        client._output_used, client._output_capped = {}, set()
        replies = {}
        client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.__setitem__(cell_index, execute_reply)
        client.km = client.create_kernel_manager()
        watchdog = None
        try:
            try:
                await client.async_start_new_kernel(cwd=args.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                process = getattr(getattr(client.km, "provisioner", None), "process", None)
                if process is not None and process.stdout is not None:
                    tail = OutputTail(process.stdout)
                    tail.start()
                await client.async_start_new_kernel_client()
            except Exception as e:  # noqa: BLE001 - any failure to start is reported the same way
                time.sleep(0.5)
                lines = (tail.text() if tail else "").strip().splitlines()[-8:]
                emit("fatal", message=f"the kernel did not start: {clip(str(e), 500)}", log=lines)
                return None, attempt
            provisioner = getattr(client.km, "provisioner", None)
            pid = getattr(provisioner, "pid", None) or getattr(getattr(client.km, "kernel", None), "pid", None)
            emit("kernel-start", attempt=attempt, pid=pid, seconds=round(time.monotonic() - started, 2))
            if pid:
                watchdog = Watchdog(pid, args.memory_mb << 20)
                watchdog.start()
            for index in code_cells:
                cell = nb.cells[index]
                if index in broken:
                    results[index] = broken[index]
                    note = nbformat.v4.new_output("stream", name="stderr", text=f"[grader: {broken[index]['message']}; not run again]\n")
                    cell.outputs = broken_outputs[index] + [note]  # what it printed before it was stopped
                    continue
                left = deadline - time.monotonic()
                if left <= 1:
                    results[index] = {"status": "not-run", "message": f"not run: the submission's time limit ({args.time_limit:g} s) was used up"}
                    continue
                per_cell = min(args.cell_timeout, left)
                client.timeout = max(1, int(per_cell))
                t0 = time.monotonic()
                try:
                    for _ in range(4):
                        replies.pop(index, None)
                        await client.async_execute_cell(cell, index, execution_count=code_cells.index(index) + 1)
                        status = (replies.get(index) or {}).get("content", {}).get("status", "error")
                        if status != "abort":
                            break
                        await asyncio.sleep(0.4)  # tslab refuses requests for 200 ms after an error
                    if status == "ok":
                        result = {"status": "ok"}
                    else:
                        result = {"status": "error", "message": failure_message(cell.outputs)}
                        await asyncio.sleep(0.3)
                except CellTimeoutError:
                    limit = "the submission's time limit" if per_cell < args.cell_timeout else "the limit per cell"
                    result = {"status": "timeout", "message": f"still running after {per_cell:.0f} s ({limit}): an endless loop?"}
                    restart = True
                except DeadKernelError:
                    if watchdog and watchdog.fired:
                        result = {"status": "memory", "message": f"used more than {args.memory_mb} MB of memory ({watchdog.fired >> 20} MB)"}
                    elif tail and heap_exhausted(tail):
                        result = {"status": "memory", "message": "ran out of memory (the kernel's JavaScript heap limit)"}
                    else:
                        result = {"status": "died", "message": "the kernel died while running this cell (process.exit(), a crash or a signal)"}
                    restart = True
                except Exception as e:  # noqa: BLE001 - whatever the kernel sent is untrusted data
                    # A message the client cannot read (e.g. the student patched JSON.stringify, which
                    # the kernel uses to write its replies): the student's failure, not the grader's.
                    # The kernel cannot be trusted to answer any more: start a fresh one, skipping this cell.
                    what = clip(f"{type(e).__name__}: {e}", 160)
                    result = {"status": "error", "message": f"the kernel sent a reply the grader cannot read ({what}): did this cell change the runtime (JSON, console, process)?"}
                    restart = True
                result["seconds"] = round(time.monotonic() - t0, 2)
                text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")
                result["marker"] = args.marker in text
                if result["marker"]:
                    for o in cell.outputs:
                        if o.get("output_type") == "stream" and args.marker in o.get("text", ""):
                            o["text"] = "".join(l for l in o["text"].splitlines(True) if args.marker not in l)
                    cell.outputs = [o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("text") == "")]
                results[index] = result
                emit("cell", index=index, attempt=attempt, **result)
                if restart:
                    broken[index] = result
                    broken_outputs[index] = list(cell.outputs)
                    break
        finally:
            if watchdog:
                watchdog.stopped.set()
            pid = getattr(getattr(client.km, "provisioner", None), "pid", None) if client.km else None
            if pid:
                kill_tree(pid)
            try:
                await client._async_cleanup_kernel()
            except Exception:  # noqa: BLE001 - the kernel is gone either way
                pass
            if tail:
                with open(args.kernel_log, "ab") as log:  # for --keep-scratch
                    log.write(f"--- attempt {attempt}\n".encode() + bytes(tail.data[-tail.keep:]))
        if not restart or time.monotonic() >= deadline:
            break
    for index in code_cells:  # cells after the last restart that never ran
        results.setdefault(index, {"status": "not-run", "message": f"not run: the submission's time limit ({args.time_limit:g} s) was used up"})
    return results, attempt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--cwd", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--kernel-log", required=True)
    ap.add_argument("--marker", required=True)
    ap.add_argument("--cell-timeout", type=float, default=120)
    ap.add_argument("--time-limit", type=float, default=600)
    ap.add_argument("--memory-mb", type=int, default=2048)
    ap.add_argument("--startup-timeout", type=float, default=90)
    ap.add_argument("--max-output-mb", type=int, default=16, help="per cell; four times that per notebook")
    args = ap.parse_args()
    Client.max_cell_bytes = args.max_output_mb << 20
    Client.max_total_bytes = 4 * Client.max_cell_bytes
    try:  # orphans of the kernel become our children, so kill_tree finds them
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass
    nb = nbformat.from_dict(json.load(sys.stdin))
    t0 = time.monotonic()
    results, attempts = asyncio.run(run(nb, args))
    nbformat.write(nb, args.output)
    if results is None:
        return 3
    emit("done", cells={str(k): v for k, v in results.items()}, restarts=attempts - 1, seconds=round(time.monotonic() - t0, 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
