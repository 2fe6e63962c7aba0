"""Test-wide environment: one CPU thread, no progress bars, claims records kept out of notebooks/.

Set at import, before nbval starts any kernel, so notebook kernels inherit it.
"""

import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # this process only; notebook kernels keep their inline backend
import matplotlib.pyplot  # noqa: E402,F401  (builds the font cache before any kernel could print about it)

ROOT = Path(__file__).resolve().parent

os.environ.update(
    OMP_NUM_THREADS="1",
    MKL_NUM_THREADS="1",
    TQDM_DISABLE="1",
    PYTHONHASHSEED="0",
    DIPKIT_CLAIMS_DIR=tempfile.mkdtemp(prefix="dipkit-claims-"),
)
os.environ.setdefault("DIPKIT_DATA", str(ROOT.parent / "shared" / "data" / "dip-release"))
