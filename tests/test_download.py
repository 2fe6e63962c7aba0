"""`dipkit data fetch|verify|list` against a real HTTP server on 127.0.0.1 serving made-up archives."""

import gzip
import hashlib
import io
import socket
import tarfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dipkit import cli, datasets, download
from dipkit.datasets import Dataset, DataUnavailableError, Remote


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as packed:
        for name, content in members.items():
            packed.writestr(name, content)
    return buffer.getvalue()


ARCHIVES = {  # made up in the layouts of the real ones: a tarball with its folder, a zip, a gzipped file
    "toy.tar.gz": tar_gz({"toy/train/1.jpg": b"a photo", "toy/README": b"made up", "elsewhere.txt": b"dropped"}),
    "extra.zip": zipped({"toy_extra/0001.png": b"a png"}),
    "labels.gz": gzip.compress(b"\x00\x00\x08\x01 labels"),
}


def sha256(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


class Server:
    """A real HTTP server on loopback serving ``files``; ``cut`` paths send half their bytes, then hang up."""

    def __init__(self, files: dict[str, bytes], cut: tuple[str, ...] = ()) -> None:
        self.files, self.cut, self.requests = files, cut, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                name = self.path.lstrip("/")
                server.requests.append(name)
                if name not in server.files:
                    self.send_error(404)
                    return
                body = server.files[name]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if name in server.cut else body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    running = Server(ARCHIVES)
    yield running
    running.close()


@pytest.fixture
def root(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("DIPKIT_DATA", str(folder))
    return folder


def toy(url: str, checksums: dict[str, str | None] | None = None, **fields) -> dict[str, Dataset]:
    """A registry of one dataset, "toy", whose three files the server holds (checksums: their real ones)."""
    sums = {name: sha256(content) for name, content in ARCHIVES.items()} | (checksums or {})
    files = (Remote(url + "toy.tar.gz", sums["toy.tar.gz"], "test"),
             Remote(url + "extra.zip", sums["extra.zip"], "test", into="toy"),
             Remote(url + "labels.gz", sums["labels.gz"], "test", into="toy/raw"))
    entry = Dataset("toy", "made up", "DIPKIT_DATA", folder="toy", url=url, layout="train/1.jpg", files=files)
    return {"toy": Dataset(**{**entry.__dict__, **fields})}


def test_fetch_downloads_checks_unpacks_and_installs(server, root):
    registry = toy(server.url)
    found = download.fetch("toy", registry)
    assert found.state == "verified" and "4 files" in found.detail
    assert (root / "toy" / "train" / "1.jpg").read_bytes() == b"a photo"
    assert (root / "toy" / "toy_extra" / "0001.png").read_bytes() == b"a png"  # the zip, into the folder
    assert (root / "toy" / "raw" / "labels").read_bytes() == b"\x00\x00\x08\x01 labels"  # gunzipped, like MNIST
    assert sorted(p.name for p in root.iterdir()) == ["toy"]  # no staging folder, nothing outside the folder
    assert sorted(server.requests) == ["extra.zip", "labels.gz", "toy.tar.gz"]
    assert download.check("toy", registry) == download.Check("toy", "verified", f"4 files in {root / 'toy'} match "
                                                                                 "their sha256")


def test_a_second_fetch_downloads_nothing(server, root):
    registry = toy(server.url)
    download.fetch("toy", registry)
    requests = len(server.requests)
    assert download.fetch("toy", registry).state == "verified"
    assert len(server.requests) == requests == 3


def test_verify_finds_a_changed_or_missing_file_and_fetch_leaves_it(server, root):
    registry = toy(server.url)
    download.fetch("toy", registry)
    (root / "toy" / "train" / "1.jpg").write_bytes(b"another photo")
    (root / "toy" / "README").unlink()
    found = download.check("toy", registry)
    assert found.state == "corrupt" and not found.ok
    assert "1 missing and 1 changed of 4 files" in found.detail
    assert "README missing, train/1.jpg differs" in found.detail
    with pytest.raises(DataUnavailableError, match="left as it is; move .*toy away and fetch again"):
        download.fetch("toy", registry)
    assert (root / "toy" / "train" / "1.jpg").read_bytes() == b"another photo"  # never overwritten
    assert len(server.requests) == 3


def assert_nothing_left(root):
    assert list(root.iterdir()) == [], "a failed fetch must leave nothing behind"


def test_a_wrong_checksum_is_refused_and_nothing_is_left(server, root):
    registry = toy(server.url, {"extra.zip": sha256(b"another archive")})
    with pytest.raises(DataUnavailableError, match="extra.zip does not match its checksum sha256:.*nothing installed"):
        download.fetch("toy", registry)
    assert_nothing_left(root)


def test_a_truncated_download_is_refused(server, root):
    server.files = {**ARCHIVES, "toy.tar.gz": ARCHIVES["toy.tar.gz"][:-40]}  # served whole, but short of the real one
    with pytest.raises(DataUnavailableError, match="toy.tar.gz does not match its checksum"):
        download.fetch("toy", toy(server.url))
    assert_nothing_left(root)


def test_a_server_that_stops_mid_file_is_refused(server, root):
    server.cut = ("labels.gz",)
    with pytest.raises(DataUnavailableError, match="download of .*labels.gz failed .*nothing installed"):
        download.fetch("toy", toy(server.url))
    assert_nothing_left(root)


def test_an_archive_reaching_outside_its_folder_is_refused(server, root):
    server.files = {**ARCHIVES, "toy.tar.gz": tar_gz({"toy/a": b"x", "../../escaped": b"x"})}
    registry = toy(server.url, {"toy.tar.gz": sha256(server.files["toy.tar.gz"])})
    with pytest.raises(DataUnavailableError, match="toy.tar.gz cannot be unpacked"):
        download.fetch("toy", registry)
    assert_nothing_left(root)


def test_an_archive_without_the_folder_is_refused(server, root):
    registry = toy(server.url, folder="birds")
    with pytest.raises(DataUnavailableError, match="unpacked no birds/ folder"):
        download.fetch("toy", registry)
    assert_nothing_left(root)


def test_offline_fails_at_once_with_what_to_do_by_hand(root):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    start = time.perf_counter()
    with pytest.raises(DataUnavailableError) as error:
        download.fetch("toy", toy(url))
    assert time.perf_counter() - start < 5
    message = str(error.value)
    assert f"cannot reach {url}toy.tar.gz (offline?" in message
    assert f"download {url}toy.tar.gz (sha256:" in message and "$DIPKIT_DATA/toy/ holds train/1.jpg" in message
    assert_nothing_left(root)


def test_a_file_without_a_checksum_is_never_downloaded(server, root):
    with pytest.raises(DataUnavailableError, match="extra.zip: no checksum is published .*installs nothing unverified"):
        download.fetch("toy", toy(server.url, {"extra.zip": None}))
    assert server.requests == [] and not (root / "toy").exists()


def test_a_source_behind_a_login_gives_its_steps(server, root):
    registry = toy(server.url, files=(), manual="log in at https://example.org and unzip into $DIPKIT_DATA/toy")
    with pytest.raises(DataUnavailableError, match="cannot be downloaded by dipkit: log in at https://example.org"):
        download.fetch("toy", registry)
    assert server.requests == []


def test_fetch_needs_the_variable(server, monkeypatch):
    monkeypatch.delenv("DIPKIT_DATA", raising=False)
    with pytest.raises(DataUnavailableError, match="DIPKIT_DATA is not set"):
        download.fetch("toy", toy(server.url))


def test_a_copy_put_there_by_hand_is_kept_unverified(server, root):
    (root / "toy").mkdir()
    assert download.fetch("toy", toy(server.url)).state == "present, unverified"
    assert server.requests == []
    assert download.quick_state(toy(server.url)["toy"]) == "present, not verified"


def test_the_dip_release_is_verified_against_its_registry(monkeypatch, tmp_path):
    import os
    import shutil

    mirror = os.environ["DIPKIT_DATA"]  # conftest: ../shared/data, which holds dip-release/
    assert download.check("dip-release").state == "verified"
    name = "SR/Set5/x4/bird_GT.png"
    copy = tmp_path / "dip-release" / name
    copy.parent.mkdir(parents=True)
    shutil.copy(f"{mirror}/dip-release/{name}", copy)
    monkeypatch.setenv("DIPKIT_DATA", str(tmp_path))
    found = download.check("dip-release")
    assert found.state == "corrupt" and "171 missing and 0 changed of 172 files" in found.detail


def test_main_prints_one_line_each_and_fails_on_a_missing_dataset(server, root, capsys):
    registry = toy(server.url)
    assert download.main("verify", ["toy"], registry) == 1
    assert capsys.readouterr().out == f"toy: missing: no {root / 'toy'}\n"
    assert download.main("fetch", ["toy"], registry) == 0
    assert download.main("verify", [], registry) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("toy: verified: 4 files")


def test_an_unknown_name_is_refused_with_the_accepted_ones(capsys):
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'; accepted: skimage, photo-crops, digits, mnist"):
        download.main("fetch", ["mnist", "imagenet"])
    assert cli.main(["data", "fetch", "imagenet"]) == 2
    assert "dipkit: error: unknown dataset 'imagenet'; accepted: skimage" in capsys.readouterr().err


def test_data_list_shows_every_dataset_with_its_licence_size_and_state(root, capsys):
    (root / "MNIST").mkdir()
    assert cli.main(["data", "list"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:2] == ["dataset", "used"] and header[-1] == "here"
    rows = {line.split()[0]: line for line in out.split("\n\n")[0].splitlines()[2:]}
    assert list(rows) == list(datasets.DATASETS)
    assert rows["mnist"].endswith("present, not verified") and rows["cifar-10"].endswith("missing")
    assert "163 MB" in rows["cifar-10"] and "academic research only" in rows["div2k"]
    assert rows["digits"].endswith("in the wheel") and rows["street-scenes"].endswith("made by code")
    assert "by hand: Cityscapes needs an account" in out and "md5:c58f30108f718f92721af3b95e74349a" in out
