"""`dipkit lab`: JupyterLab on copies of the chapters. A real JupyterLab server on 127.0.0.1 runs chapter 00
through its kernel, as a learner's browser would, and the committed notebooks stay as they were."""

import hashlib
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest
import websocket

from dipkit import chapters, cli, lab, report, spread

NOTEBOOKS = chapters.NOTEBOOKS


def fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_prepare_copies_once_and_keeps_the_learners_copy(tmp_path):
    copied, kept = lab.prepare(["00"], tmp_path)
    assert [p.name for p in copied] == ["00_inverse_problems.ipynb"] and kept == []
    assert copied[0].read_bytes() == (NOTEBOOKS / "00_inverse_problems.ipynb").read_bytes()
    copied[0].write_text("the learner's edits")
    again, kept = lab.prepare(["00", "01"], tmp_path)
    assert [p.name for p in again] == ["01_deep_image_prior.ipynb"] and kept == copied
    assert copied[0].read_text() == "the learner's edits"


def test_lab_refuses_a_folder_in_notebooks_and_an_unknown_chapter(capsys):
    before = fingerprint(NOTEBOOKS)
    assert cli.main(["lab", "00", "--folder", str(NOTEBOOKS / "mine"), "--no-browser"]) == 2
    assert "is in notebooks/, the committed chapters" in capsys.readouterr().err
    assert cli.main(["lab", "zz", "--no-browser"]) == 2
    assert "unknown notebook 'zz'; accepted: 00_inverse_problems" in capsys.readouterr().err
    assert fingerprint(NOTEBOOKS) == before and not (NOTEBOOKS / "mine").exists()


def test_lab_command_serves_only_this_machine(tmp_path):
    arguments = lab.command(tmp_path, 9999, browser=False, token="t")
    assert "--ServerApp.ip=127.0.0.1" in arguments and f"--ServerApp.root_dir={tmp_path}" in arguments
    assert "--ServerApp.port=9999" in arguments and "--no-browser" in arguments


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, token: str, path: str, body: dict | None = None, method: str = "GET") -> dict:
    request = urllib.request.Request(
        f"{base}{path}", data=None if body is None else json.dumps(body).encode(), method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def execute(channel: websocket.WebSocket, code: str) -> list[dict]:
    """One cell through the kernel's websocket, as JupyterLab sends it: its outputs as nbformat dicts."""
    msg_id = uuid.uuid4().hex
    channel.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": "lab-test",
                   "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    outputs, idle, replied = [], False, False
    while not (idle and replied):
        message = json.loads(channel.recv())
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "error":
            pytest.fail(f"the cell failed in the lab's kernel: {content['ename']}: {content['evalue']}\n{code}")
        if kind == "stream":
            outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
        if kind in ("display_data", "execute_result"):
            outputs.append({"output_type": kind, "data": content["data"], "metadata": content["metadata"]})
        idle |= kind == "status" and content["execution_state"] == "idle"
        replied |= kind == "execute_reply"
    return outputs


@pytest.fixture
def jupyterlab(tmp_path):
    """The server `dipkit lab` starts, on a free port of 127.0.0.1, in tmp_path; one CPU thread, as the baseline."""
    token, port = secrets.token_hex(16), free_port()
    env = {**os.environ, **chapters.BASELINE_ENV}
    server = subprocess.Popen(lab.command(tmp_path, port, browser=False, token=token), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                api(base, token, "/api/status")
                break
            except OSError:
                assert server.poll() is None, f"JupyterLab did not start:\n{server.stderr.read()}"
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer on 127.0.0.1 within 60 s")
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_a_chapter_runs_in_jupyterlab_and_notebooks_is_unchanged(tmp_path, jupyterlab):
    base, token = jupyterlab
    before = fingerprint(NOTEBOOKS)
    lab.prepare(["00"], tmp_path)
    name = "00_inverse_problems.ipynb"
    notebook = nbformat.from_dict(api(base, token, f"/api/contents/{name}")["content"])
    session = api(base, token, "/api/sessions", {"path": name, "type": "notebook", "kernel": {"name": "python3"}},
                  method="POST")
    channel = websocket.create_connection(
        f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/api/kernels/{session['kernel']['id']}/channels",
        header=[f"Authorization: token {token}"], timeout=600,
    )
    try:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = execute(channel, cell.source)
    finally:
        channel.close()
    api(base, token, f"/api/contents/{name}", {"type": "notebook", "format": "json", "content": notebook},
        method="PUT")  # the learner saves

    saved = nbformat.read(tmp_path / name, as_version=4)
    assert sum("image/png" in o.get("data", {}) for c in saved.cells if c.cell_type == "code" for o in c.outputs) > 3
    measured = next(claims for c in saved.cells if c.cell_type == "code"
                    if (claims := report.from_outputs(c.outputs)) is not None)
    committed = report.read(NOTEBOOKS / "00_inverse_problems.claims.json")
    assert spread.compare(committed, measured) == []
    assert fingerprint(NOTEBOOKS) == before
