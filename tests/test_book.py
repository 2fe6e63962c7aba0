"""The book builds warning-free and renders in a real browser, offline.

The module-scoped fixture builds the repository's book (``_config.yml`` and ``_toc.yml`` at the
root) into a temporary folder with ``jupyter-book build <root> --path-output <tmp> -W -n
--keep-going``. Static checks read the built HTML; the browser test serves it on 127.0.0.1 and
opens every page of the table of contents in Debian's Chromium through playwright, checking that
math is typeset by the offline MathJax, that every image loads and that nothing fails. Screenshots
go to ``test-artifacts/`` at the repository root.

MathJax needs no vendoring step: the ``sphinx-mathjax-offline`` extension (``_config.yml``) copies
its bundled MathJax 3 into ``_build/html/_static/mathjax/`` at the end of every build.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = (
    f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium)"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Pages that must be opened in the browser whatever else the table of contents holds.
BROWSER_MUST_OPEN = ["book/intro", "notebooks/00_inverse_problems"]
# MIME types myst-nb renders before an image for the html builder (see myst_nb.core.render).
OUTRANKS_IMAGES = ("application/vnd.jupyter.widget-view+json", "application/javascript", "text/html")
IMAGE_MIMES = ("image/svg+xml", "image/png", "image/gif", "image/jpeg")
RAW_TEX = ("$$", "\\arg\\min", "\\[", "\\(", "\\begin{")


# --------------------------------------------------------------------------- helpers


def toc_documents(root: Path = ROOT) -> list[str]:
    """Every document named in ``_toc.yml`` (root first), as its path relative to the book root."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    docs = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                docs.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return [_strip_suffix(doc) for doc in docs]


def _strip_suffix(doc: str) -> str:
    for suffix in (".md", ".ipynb", ".rst"):
        if doc.endswith(suffix):
            return doc[: -len(suffix)]
    return doc


def source_of(doc: str, root: Path = ROOT) -> Path:
    for suffix in (".ipynb", ".md", ".rst"):
        path = root / f"{doc}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no source for toc entry {doc!r} under {root}")


def shown_image_outputs(notebook: Path) -> int:
    """How many outputs of ``notebook`` the HTML page must show as an image."""
    nb = json.loads(notebook.read_text())
    removed = {"remove-output", "remove-cell", "remove_output", "remove_cell"}
    count = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or removed & set(cell.get("metadata", {}).get("tags", [])):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            if "scrapbook" in output.get("metadata", {}):  # myst_nb.glue(..., display=False)
                continue
            data = output.get("data", {})
            if any(mime in data for mime in OUTRANKS_IMAGES):
                continue
            if any(mime in data for mime in IMAGE_MIMES):
                count += 1
    return count


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])


def tags(page: Path) -> _TagCollector:
    collector = _TagCollector()
    collector.feed(page.read_text(encoding="utf-8"))
    return collector


def resolve(page: Path, src: str) -> Path | None:
    """The file under ``html`` that a relative ``src`` on ``page`` points at (None if remote)."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        return None
    return (page.parent / unquote(parts.path)).resolve()


# --------------------------------------------------------------------------- the build


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Build the real book once; return (exit code, combined output, path of the HTML, seconds)."""
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"]
    env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning")
    start = time.monotonic()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - start
    output = proc.stdout + proc.stderr
    print(f"book built in {seconds:.1f} s (exit {proc.returncode})")
    return proc.returncode, output, out / "_build" / "html", seconds


@pytest.fixture(scope="module")
def html(build):
    returncode, output, html_dir, _ = build
    if returncode != 0 or not (html_dir / "index.html").exists():
        pytest.fail(f"the book did not build (exit {returncode}):\n{output[-6000:]}")
    return html_dir


def test_build_is_warning_free(build):
    returncode, output, _, _ = build
    warnings = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    assert returncode == 0, f"jupyter-book build exited {returncode}:\n{output[-6000:]}"
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings)


def test_every_toc_document_has_a_page(html):
    missing = [doc for doc in toc_documents() if not (html / f"{doc}.html").is_file()]
    assert not missing, f"no HTML page for: {missing}"


def test_notebook_pages_embed_their_figures(html):
    checked = 0
    for doc in toc_documents():
        source = source_of(doc)
        if source.suffix != ".ipynb":
            continue
        expected = shown_image_outputs(source)
        page = html / f"{doc}.html"
        embedded = []
        for src in tags(page).images:
            target = resolve(page, src)
            if target is None:
                pytest.fail(f"{doc}: image {src!r} is not a local file")
            assert target.is_file(), f"{doc}: image {src!r} does not exist in the build"
            if target.parent == (html / "_images").resolve():
                embedded.append(src)
        assert len(embedded) >= expected, (
            f"{doc}: {expected} image outputs in the notebook but {len(embedded)} <img> into _images/"
        )
        if expected:
            assert embedded, f"{doc} has image outputs but its page embeds none"
        checked += 1
    assert checked, "no notebook in _toc.yml"


def test_mathjax_is_local(html):
    pages = sorted(html.rglob("*.html"))
    assert pages
    for page in pages:
        scripts = tags(page).scripts
        for src in scripts:
            assert "cdn.jsdelivr" not in src and "://" not in src and not src.startswith("//"), (
                f"{page.relative_to(html)} loads a remote script: {src}"
            )
        for src in scripts:
            if "mathjax" in src.lower():
                target = resolve(page, src)
                assert target is not None and target.is_file(), (
                    f"{page.relative_to(html)}: MathJax script {src} is not in the build"
                )
    # The pages with math must load MathJax at all.
    for doc in BROWSER_MUST_OPEN:
        page = html / f"{doc}.html"
        assert any("mathjax" in src.lower() for src in tags(page).scripts), f"{doc} loads no MathJax"


# --------------------------------------------------------------------------- in a browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def server(html):
    handler = functools.partial(_QuietHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_pages_render_in_chromium(html, server):
    if not CHROMIUM.exists():
        pytest.fail(CHROMIUM_MISSING)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        pytest.fail("the playwright Python package is not installed (pip install -r requirements.txt)")

    ARTIFACTS.mkdir(exist_ok=True)
    docs = toc_documents()
    for doc in BROWSER_MUST_OPEN:
        assert doc in docs, f"{doc} is not in _toc.yml"
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for doc in docs:
                # A fresh context per page, as a reader arriving from outside: with a shared cache,
                # Chromium may never report "networkidle" for a page served entirely from memory.
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                problems += _check_page(context, server, html, doc)
                context.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


def _is_favicon_probe(url: str) -> bool:
    """Chromium asks every server for /favicon.ico by itself; the book has no favicon (not a page error)."""
    return urlsplit(url).path == "/favicon.ico"


def _check_page(context, server: str, html: Path, doc: str) -> list[str]:
    url = urljoin(server, f"{doc}.html")
    errors: list[str] = []
    page = context.new_page()
    page.on(
        "console",
        lambda msg: msg.type == "error"
        and not _is_favicon_probe(msg.location.get("url", ""))
        and errors.append(f"console error: {msg.text} ({msg.location.get('url', '')})"),
    )
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url} ({req.failure})"))
    page.on(
        "response",
        lambda res: res.status >= 400 and errors.append(f"HTTP {res.status}: {res.url}"),
    )
    page.on(
        "request",
        lambda req: urlsplit(req.url).scheme in ("http", "https")
        and urlsplit(req.url).hostname != "127.0.0.1"
        and errors.append(f"request off the machine: {req.url}"),
    )
    try:
        page.goto(url, wait_until="load")
        math_count = page.evaluate("() => document.querySelectorAll('.math').length")
        if math_count or page.evaluate("() => !!window.MathJax"):
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000
            )
            page.evaluate("() => MathJax.startup.promise")
        page.wait_for_load_state("networkidle")
        # Load every image (none may stay lazy) before judging them.
        page.evaluate(
            """async () => {
                const imgs = Array.from(document.images);
                imgs.forEach(img => { img.loading = 'eager'; });
                await Promise.all(imgs.map(img => img.complete ? null :
                    new Promise(r => { img.onload = img.onerror = r; })));
            }"""
        )
        name = doc.replace("/", "_")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        typeset = page.evaluate("() => document.querySelectorAll('mjx-container').length")
        if doc in BROWSER_MUST_OPEN or math_count:
            if typeset == 0:
                errors.append("no math typeset (no mjx-container)")
            if typeset < math_count:
                errors.append(f"{math_count} math elements but only {typeset} typeset")
        visible = page.evaluate(
            """() => {
                const root = document.querySelector('article') || document.querySelector('main')
                    || document.body;
                const copy = root.cloneNode(true);
                copy.querySelectorAll('pre, code, .highlight, mjx-container, script, style')
                    .forEach(e => e.remove());
                return copy.textContent;
            }"""
        )
        for raw in RAW_TEX:
            if raw in visible:
                at = visible.index(raw)
                errors.append(f"raw TeX {raw!r} visible: ...{visible[max(0, at - 60):at + 60]!r}...")
        broken = page.evaluate(
            """() => Array.from(document.images)
                .filter(img => !(img.complete && img.naturalWidth > 0))
                .map(img => img.getAttribute('src'))"""
        )
        errors += [f"image did not load: {src}" for src in broken]
        mjx_errors = page.evaluate("() => document.querySelectorAll('mjx-merror').length")
        if mjx_errors:
            errors.append(f"{mjx_errors} MathJax errors (mjx-merror) in the page")
    finally:
        page.close()
    return [f"{doc}: {message}" for message in errors]
