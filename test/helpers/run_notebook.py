#!/usr/bin/python3
"""Executes a notebook headless with nbclient and writes the executed notebook as JSON.

    /usr/bin/python3 test/helpers/run_notebook.py NOTEBOOK OUT_JSON [KERNEL_NAME]

The kernel runs in the notebook's own directory (as in Jupyter) and is found through the usual
Jupyter paths (set JUPYTER_PATH to use a kernelspec installed under a prefix). Every cell runs,
even after one fails; a cell whose execute_reply says error gets
metadata["dawn_rfb_test"] = {"status": "error", "ename", "evalue"}, so a caller sees failures
that a kernel reports only in its reply (tslab sends type errors to stderr, not as an error output).
Exit codes: 0 every cell ran without error; 1 some cell failed (OUT_JSON is still written);
2 the notebook could not be executed at all (no kernel, bad arguments; a message on stderr).
"""
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    path, out = sys.argv[1], sys.argv[2]
    kernel_name = sys.argv[3] if len(sys.argv) == 4 else 'dawn-rfb'
    nb = nbformat.read(path, as_version=4)
    failed = []

    def on_cell_error(cell, cell_index, execute_reply):
        content = execute_reply['content']
        cell.metadata['dawn_rfb_test'] = {
            'status': 'error', 'ename': content.get('ename', ''), 'evalue': content.get('evalue', ''),
        }
        failed.append(cell_index)

    client = NotebookClient(
        nb, kernel_name=kernel_name, timeout=120, allow_errors=True,
        resources={'metadata': {'path': os.path.dirname(os.path.abspath(path))}},
        on_cell_error=on_cell_error,
    )
    t0 = time.monotonic()
    try:
        client.execute()
    except Exception as e:  # no kernelspec, kernel died, timeout
        print(f'run_notebook: {path}: {type(e).__name__}: {e}', file=sys.stderr)
        return 2
    nb.metadata['dawn_rfb_test'] = {'seconds': round(time.monotonic() - t0, 2), 'failed_cells': failed}
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(nb, f)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
