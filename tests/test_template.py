"""notebooks/_template.ipynb: a chapter's anatomy, ready to copy, never a chapter itself.

The template is committed executed, with its claims record, like every notebook in ``notebooks/``: nbval
validates it and ``dipkit refresh`` re-executes it. The book, ``dipkit list`` and ``run --all`` leave it out,
and ``dipkit run`` refuses it by name. It runs top to bottom and records its one claim, so that a copy starts
from a notebook that works.
"""

import ast
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

from dipkit import chapters, cli, report

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "notebooks" / "_template.ipynb"
CLAIM_NAME = re.compile(r"[a-z0-9_]+/[a-z0-9_]+/[a-z0-9_]+")  # <section>/<subject>/<quantity>


def code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def calls(source: str) -> set[str]:
    """The dotted names a cell calls: ``repro.setup``, ``claims.save``, ..."""
    def dotted(node) -> str:
        if isinstance(node, ast.Attribute):
            return f"{dotted(node.value)}.{node.attr}"
        return node.id if isinstance(node, ast.Name) else "?"

    return {dotted(node.func) for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)}


def first(cells: list, name: str) -> int:
    """Index of the first cell that calls ``name``."""
    found = [index for index, cell in enumerate(cells) if name in calls(cell.source)]
    assert found, f"no cell of the template calls {name}()"
    return found[0]


def test_template_has_the_chapter_anatomy():
    notebook = nbformat.read(TEMPLATE, as_version=4)
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# NN · ")
    assert "{cite:p}`" in notebook.cells[0].source

    cells = code_cells(notebook)
    tagged = [i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "one code cell tagged 'parameters'"
    parameters = cells[tagged[0]]
    defaults = chapters.notebook_parameters(TEMPLATE)  # what papermill and `dipkit run -p` see
    assigned = [
        t.id for node in ast.parse(parameters.source).body if isinstance(node, ast.Assign) for t in node.targets
    ]
    assert list(defaults) == assigned
    assert {"profile": "quick", "device": "cpu", "seed": 0}.items() <= defaults.items(), defaults
    for line in parameters.source.splitlines():
        assert "paper" in line.partition("#")[2], f"a parameter without its paper value in a comment: {line!r}"

    setup = first(cells, "repro.setup")
    assert setup == first(cells, "report.Claims") == tagged[0] + 1, "the setup cell follows the parameters cell"
    recorded, saved = first(cells, "claims.record"), first(cells, "claims.save")
    assert setup < recorded < saved
    assert "claims.show" in calls(cells[saved].source)
    last = cells[-1]
    assert last.source.startswith("# NBVAL_IGNORE_OUTPUT") and "repro.print_environment" in calls(last.source), (
        f"the last code cell is not '# NBVAL_IGNORE_OUTPUT' + repro.print_environment(device):\n{last.source}"
    )


def test_template_is_committed_executed_with_its_claims_record():
    notebook = nbformat.read(TEMPLATE, as_version=4)
    for cell in code_cells(notebook):
        assert cell.execution_count is not None, f"not executed:\n{cell.source}"
        assert not [out for out in cell.outputs if out.output_type == "error"], f"failed:\n{cell.source}"
    committed = report.read(TEMPLATE.with_suffix(".claims.json"))
    assert committed == report.from_notebook(TEMPLATE), "the claims record is not the committed notebook's"


def test_template_is_not_a_chapter(tmp_path, monkeypatch, capsys):
    assert chapters.available_notebooks(), "no chapters found"
    assert TEMPLATE not in chapters.available_notebooks().values()
    for argv in (["run", "notebooks/_template.ipynb"], ["run", "_template"]):
        assert cli.main(argv) == 2
        assert "_template.ipynb is not a chapter" in capsys.readouterr().err
    # A copy under a chapter's name is a chapter, with the template's parameters.
    shutil.copy(TEMPLATE, tmp_path / "_template.ipynb")
    shutil.copy(TEMPLATE, tmp_path / "07_method.ipynb")
    monkeypatch.setattr(chapters, "NOTEBOOKS", tmp_path)
    assert list(chapters.available_notebooks()) == ["07_method"]
    assert list(chapters.committed_notebooks()) == ["07_method", "_template"]  # what refresh --all re-executes
    assert chapters.find_notebook("_template", template=True) == tmp_path / "_template.ipynb"
    [(path, parameters)] = chapters.plan(["07"], False, "quick", "cpu", ["sigma=50"])
    assert path == tmp_path / "07_method.ipynb" and parameters == {"sigma": 50, "profile": "quick", "device": "cpu"}


def test_template_is_left_out_of_the_book():
    from sphinx.util.matching import Matcher

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    excluded = Matcher(config["exclude_patterns"])
    assert excluded("notebooks/_template.ipynb")
    assert not excluded("notebooks/01_deep_image_prior.ipynb")
    assert "_template" not in (ROOT / "_toc.yml").read_text()


def test_nbval_collects_the_template():
    """pytest's own collection, with the project's addopts: the template is validated like a chapter."""
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider", "notebooks"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "notebooks/01_deep_image_prior.ipynb::" in collected.stdout
    assert "notebooks/_template.ipynb::" in collected.stdout


def test_template_runs_and_records_one_claim(tmp_path):
    import papermill
    from traitlets.config import Config

    output = tmp_path / "NN_method.ipynb"
    with tempfile.TemporaryDirectory(prefix="dipkit-kernel-") as sockets:  # as dipkit run: IPC, not TCP
        papermill.execute_notebook(
            str(TEMPLATE), str(output), cwd=str(TEMPLATE.parent), kernel_name="python3", progress_bar=False,
            config=Config({"KernelManager": {"transport": "ipc", "ip": str(Path(sockets) / "kernel")}}),
        )
    executed = nbformat.read(output, as_version=4)
    outputs = [out for cell in code_cells(executed) for out in cell.outputs]
    assert not [out for out in outputs if out.get("name") == "stderr"], "the template writes to stderr"
    assert any("image/png" in out.get("data", {}) for out in outputs), "the example shows no picture"
    assert "torch" in "".join(out.get("text", "") for out in code_cells(executed)[-1].outputs)

    [claim] = report.from_notebook(output)
    assert CLAIM_NAME.fullmatch(claim.name), claim.name
    assert claim.held, claim
    assert claim.tolerance > 0 or claim.rtol > 0
    assert claim.unit == "dB" and claim.paper is not None
    assert (claim.chapter, claim.profile, claim.device) == ("NN_method", "quick", "cpu")
