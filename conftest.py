"""Test-wide setup: the environment every notebook kernel inherits, and the notebook regression contract
(``tests/notebook_contract.py``: nbval with numbers sanitized, exact cells, claims within their tolerances).

Set at import, before nbval starts any kernel, so notebook kernels inherit it.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # this process only; notebook kernels keep their inline backend
import matplotlib.pyplot  # noqa: E402,F401  (builds the font cache before any kernel could print about it)

from dipkit import report  # noqa: E402

ROOT = Path(__file__).resolve().parent
pytest_plugins = ["tests.notebook_contract"]

os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TQDM_DISABLE="1", PYTHONHASHSEED="0")
os.environ.pop(report.CLAIMS_DIR_ENV, None)  # chapters read the committed records of earlier chapters
os.environ.setdefault("DIPKIT_DATA", str(ROOT.parent / "shared" / "data"))
