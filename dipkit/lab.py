"""``dipkit lab``: the chapters in JupyterLab, to read, run and change, without touching the committed ones.

JupyterLab opens copies in ``runs/lab/``, never ``notebooks/``: the committed notebooks are the book's pages
and nbval's baselines, and a notebook saved in JupyterLab (it autosaves) would overwrite them. A copy that is
already there is the learner's own work and is kept as it is; delete it to start again from the committed
chapter. A chapter run there records its claims in its own outputs, like any run (:meth:`report.Claims.save`),
and writes nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dipkit import chapters
from dipkit.chapters import ROOT, UsageError, available_notebooks, find_notebook

LAB = ROOT / "runs" / "lab"


def prepare(names: list[str], folder: Path = LAB) -> tuple[list[Path], list[Path]]:
    """Copy the named chapters (paths, stems or numbers; none: every chapter) into ``folder``.

    Returns ``(copied, kept)``: the copies made now, and those already there, left untouched."""
    if folder.resolve().is_relative_to(chapters.NOTEBOOKS.resolve()):
        raise UsageError(f"{folder} is in notebooks/, the committed chapters, which JupyterLab's saves would "
                         "overwrite; give a folder outside it (default: runs/lab/)")
    sources = [find_notebook(name) for name in names] or list(available_notebooks().values())
    folder.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for source in sources:
        copy = folder / source.name
        if copy.exists():
            kept.append(copy)
        else:
            shutil.copyfile(source, copy)
            copied.append(copy)
    return copied, kept


def command(folder: Path, port: int = 8888, browser: bool = True, token: str | None = None) -> list[str]:
    """The JupyterLab server ``dipkit lab`` starts: on this machine only (127.0.0.1), in ``folder``."""
    arguments = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}", "--ServerApp.ip=127.0.0.1",
                 f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    arguments += [] if browser else ["--no-browser"]
    arguments += [] if token is None else [f"--IdentityProvider.token={token}"]
    arguments += ["--allow-root"] if os.geteuid() == 0 else []  # a container's root user, as in CI
    return arguments


def main(names: list[str], folder: Path = LAB, port: int = 8888, browser: bool = True) -> int:
    """``dipkit lab [CHAPTER...]``: copy, say what was kept, then serve JupyterLab until Ctrl-C."""
    copied, kept = prepare(names, folder)
    for path in copied:
        print(f"copied {path.relative_to(folder)} into {folder}")
    for path in kept:
        print(f"kept your copy {path} (delete it to start again from notebooks/{path.name})")
    try:
        return subprocess.call(command(folder, port, browser))
    except KeyboardInterrupt:
        return 0
