"""Execute one course notebook headless with nbclient and the course kernel.

Called by tools/course.mjs; not meant to be run by hand. Reads the source
notebook, injects parameter overrides after the cell tagged `parameters`
(papermill's convention: a new cell tagged `injected-parameters`), runs it in
the notebook's own folder, and writes the executed copy elsewhere. The source
notebook is only read.

Progress goes to stdout as JSON lines, one event each, for the Node runner.
A cell's `number` is its place among the code cells of the source notebook
(the `[n]` Jupyter shows after Run All), so the injected cell shifts nothing;
the injected cell itself has number null.
Exit status: 0 success, 1 a cell failed (the partial notebook is still
written), 2 bad usage or bad input.
"""
import argparse
import json
import os
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def inject_parameters(nb, params, source_name):
    """Adds an `injected-parameters` cell that assigns the overrides."""
    if not params:
        return
    index = next(
        (i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])),
        None,
    )
    if index is None:
        raise ValueError(f"{source_name} has no cell tagged 'parameters', so it takes no overrides")
    lines = ["// Injected by the course runner: overrides of the parameters above."]
    for name, value in params.items():
        if not IDENTIFIER.match(name):
            raise ValueError(f"parameter name {name!r} is not an identifier")
        declared = re.findall(r"\b(?:let|var)\s+([A-Za-z_$][\w$]*)", nb.cells[index].source)
        if name not in declared:
            raise ValueError(
                f"{source_name}: the parameters cell declares no `let {name}`; "
                f"it declares: {', '.join(declared) or 'nothing'}"
            )
        lines.append(f"{name} = {json.dumps(value)};")
    lines.append("void 0; // keeps the cell from echoing the last value")
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    cell.pop("id", None)
    nb.cells.insert(index + 1, cell)


def first_line(text, limit=300):
    text = re.sub(r"\x1b\[[0-9;]*m", "", text or "").strip()
    return text.splitlines()[0][:limit] if text else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("output")
    ap.add_argument("--kernel", required=True, help="kernelspec name (the runner passes the library's KERNEL_NAME)")
    ap.add_argument("--kernel-display-name", default=None)
    ap.add_argument("--params", default="{}", help="JSON object of parameter overrides")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell (-1: none)")
    args = ap.parse_args()

    try:
        nb = nbformat.read(args.source, as_version=4)
        params = json.loads(args.params)
        if not isinstance(params, dict):
            raise ValueError("--params must be a JSON object")
        inject_parameters(nb, params, os.path.basename(args.source))
    except Exception as e:  # bad input: say which and stop
        emit("bad-input", message=str(e))
        return 2

    nb.metadata["kernelspec"] = {"name": args.kernel, "display_name": args.kernel_display_name or args.kernel, "language": "typescript"}
    code_cells = [
        i for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and "injected-parameters" not in c.get("metadata", {}).get("tags", [])
    ]
    started = {}

    def number(cell_index):
        return code_cells.index(cell_index) + 1 if cell_index in code_cells else None

    def on_cell_start(cell, cell_index):
        if cell.cell_type != "code":
            return
        started[cell_index] = time.time()
        emit("cell-start", index=cell_index, number=number(cell_index), of=len(code_cells))

    def on_cell_executed(cell, cell_index, execute_reply):
        if cell.cell_type != "code":
            return
        emit("cell-done", index=cell_index, number=number(cell_index), seconds=round(time.time() - started.get(cell_index, time.time()), 3))

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=None if args.timeout < 0 else args.timeout,
        startup_timeout=120,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.source))}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    status = 0
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        status = 1
        failed = max(started) if started else None
        cell = nb.cells[failed] if failed is not None else None
        outputs = cell.outputs if cell else []
        error = next((o for o in outputs if o.get("output_type") == "error"), None)
        # tslab reports TypeScript compile errors on stderr, with an empty error value.
        stderr = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
        emit(
            "cell-error",
            index=failed,
            number=number(failed) if failed is not None else None,
            source=cell.source if cell else "",
            ename=(error or {}).get("ename", type(e).__name__),
            evalue=first_line((error or {}).get("evalue", ""), 2000),
            stderr="\n".join(stderr.strip().splitlines()[:20]),
            fallback=first_line(str(e), 500),
        )
    finally:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        nbformat.write(nb, args.output)
    return status


if __name__ == "__main__":
    sys.exit(main())
