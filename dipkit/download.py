"""``dipkit data list|fetch|verify``: the papers' datasets from their official sources, checked, into the data folder.

:func:`fetch` downloads a registered dataset's files (:attr:`dipkit.datasets.Dataset.files`) into a staging folder
beside its destination in the data folder (:func:`dipkit.datasets.data_root`; ``.<folder>.fetch-*``), checks each
against its checksum (pooch), unpacks it there, writes a manifest of every unpacked file's sha256 and only then
renames the folder into place: a failure at any step (no network, a wrong checksum, a download cut short) leaves
nothing where a reader looks. A file with no checksum to hold it to is not installed at all. :func:`check`
re-reads what is there against that manifest (or the DIP release's registry) and says present, verified,
corrupt or missing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pooch

from dipkit import data, datasets
from dipkit.datasets import DATASETS, Dataset, DataUnavailableError, Remote
from dipkit.report import text_table

MANIFEST = ".dipkit-manifest.json"
"""Written into a dataset's folder by :func:`fetch`: what was downloaded and the sha256 of every file unpacked."""


@dataclass(frozen=True)
class Check:
    """What is here of one dataset: ``state`` is one of :data:`STATES`, ``detail`` says what was found."""

    name: str
    state: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state not in ("missing", "corrupt", "not fetched")


STATES = ("in the wheel", "made by code", "verified", "present, unverified", "missing", "corrupt", "not fetched")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _expected(entry: Dataset, folder: Path) -> dict[str, str] | None:
    """``{relative path: sha256}`` a present copy must match: its manifest, the DIP release's registry, or None."""
    if (folder / MANIFEST).is_file():
        return json.loads((folder / MANIFEST).read_text())["files"]
    if entry.checksums:
        return {path: checksum.split(":")[-1] for path, checksum in data._registry().registry.items()}
    return None


def _entry(name: str, registry: dict[str, Dataset]) -> Dataset:
    if name not in registry:
        raise ValueError(f"unknown dataset {name!r}; accepted: {', '.join(registry)}")
    return registry[name]


def check(name: str, registry: dict[str, Dataset] = DATASETS) -> Check:
    """Re-read one dataset's files here against their checksums (every byte: DIV2K's 3.5 GB take a while)."""
    entry = _entry(name, registry)
    if entry.folder is None:  # in a wheel, or made by code
        return Check(name, "in the wheel" if entry.source == "wheel" else "made by code")
    folder = datasets.data_root() / entry.folder
    if not folder.is_dir():
        return Check(name, "missing", f"no {folder}")
    expected = _expected(entry, folder)
    if expected is None:
        return Check(name, "present, unverified", f"{folder} was not fetched by dipkit: no manifest to check")
    missing = [path for path in expected if not (folder / path).is_file()]
    corrupt = [path for path in expected if path not in missing and _sha256(folder / path) != expected[path]]
    if missing or corrupt:
        shown = ", ".join([f"{path} missing" for path in missing[:3]] + [f"{path} differs" for path in corrupt[:3]])
        return Check(name, "corrupt", f"{len(missing)} missing and {len(corrupt)} changed of {len(expected)} files "
                                      f"in {folder} ({shown})")
    return Check(name, "verified", f"{len(expected)} files in {folder} match their sha256")


def _by_hand(entry: Dataset) -> str:
    """What to download by hand and where to put it, for an error message."""
    if entry.manual:
        return entry.manual
    urls = ", ".join(f"{remote.url} ({remote.checksum or 'no checksum'})" for remote in entry.files)
    return f"download {urls} by hand and unpack each so that ${datasets.DATA_ENV}/{entry.folder}/ holds {entry.layout}"


def _unpack(archive: Path, into: Path) -> None:
    """Unpack a tar, zip or gzip file into ``into`` (a tar member outside it is refused by tarfile's data filter)."""
    into.mkdir(parents=True, exist_ok=True)
    try:
        if tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tar:
                tar.extractall(into, filter="data")
        elif zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as packed:
                packed.extractall(into)
        elif archive.suffix == ".gz":
            with gzip.open(archive) as source, (into / archive.stem).open("wb") as target:
                shutil.copyfileobj(source, target)
        else:
            shutil.copy(archive, into / archive.name)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
        raise DataUnavailableError(f"{archive.name} cannot be unpacked ({type(error).__name__}: {error}); refused, "
                                   "nothing installed") from error


def _download(remote: Remote, folder: Path, entry: Dataset) -> Path:
    """One file into ``folder``, checked against its checksum by pooch, or an error that says what to do by hand."""
    import requests

    try:
        return Path(pooch.retrieve(remote.url, remote.checksum, fname=remote.filename, path=folder,
                                        progressbar=sys.stderr.isatty()))
    except ValueError as error:  # pooch: the hash does not match
        raise DataUnavailableError(f"{remote.url} does not match its checksum {remote.checksum} ({error}); refused, "
                                   f"nothing installed: {_by_hand(entry)}") from error
    except requests.exceptions.ConnectionError as error:
        raise DataUnavailableError(f"cannot reach {remote.url} (offline? {type(error).__name__}); nothing installed: "
                                   f"{_by_hand(entry)}") from error
    except requests.exceptions.RequestException as error:  # cut short, an HTTP error status
        raise DataUnavailableError(f"download of {remote.url} failed ({type(error).__name__}: {error}); nothing "
                                   f"installed: {_by_hand(entry)}") from error


def _remotes(entry: Dataset) -> tuple[Remote, ...]:
    """What ``fetch`` downloads: the entry's files, or each file of its checksum registry (the DIP release)."""
    if not entry.checksums:
        return entry.files
    return tuple(Remote(entry.url + path, checksum, f"dipkit/{entry.checksums}",
                        into=f"{entry.folder}/{Path(path).parent}")
                 for path, checksum in data._registry().registry.items())


def fetch(name: str, registry: dict[str, Dataset] = DATASETS) -> Check:
    """Download, check, unpack and install one dataset in the data folder; a copy already there is checked
    and kept (never overwritten). Raises :class:`DataUnavailableError` with the steps by hand when it cannot."""
    entry = _entry(name, registry)
    if entry.folder is None:  # in a wheel, or made by code
        return check(name, registry)
    root = datasets.data_root()
    destination = root / entry.folder
    if destination.exists():
        found = check(name, registry)
        if found.state == "corrupt":
            raise DataUnavailableError(f"{found.detail}: left as it is; move {destination} away and fetch again")
        return found
    remotes = _remotes(entry)
    if not remotes:
        raise DataUnavailableError(f"dataset {name!r} cannot be downloaded by dipkit: {entry.manual}")
    unverified = [remote.url for remote in remotes if remote.checksum is None]
    if unverified:
        raise DataUnavailableError(f"{', '.join(unverified)}: no checksum is published to check it against, and "
                                   f"dipkit installs nothing unverified; {_by_hand(entry)}")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.folder}.fetch-", dir=root))
    try:
        for number, remote in enumerate(remotes):  # one folder each: two files may share a name
            _unpack(_download(remote, staging / "downloads" / str(number), entry), staging / "tree" / remote.into)
        unpacked = staging / "tree" / entry.folder
        if not unpacked.is_dir():
            raise DataUnavailableError(f"the download of {name!r} unpacked no {entry.folder}/ folder; the source's "
                                       f"layout has changed: {_by_hand(entry)}")
        files = {str(path.relative_to(unpacked)): _sha256(path) for path in sorted(unpacked.rglob("*"))
                 if path.is_file()}
        manifest = {"dataset": name, "sources": [remote.url for remote in remotes], "files": files}
        (unpacked / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        os.rename(unpacked, destination)  # atomic on one file system; refuses a destination made meanwhile
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Check(name, "verified", f"fetched into {destination}: {len(files)} files")


def quick_state(entry: Dataset) -> str:
    """What ``dipkit data list`` says is here, without re-reading every byte (``verify`` does that)."""
    if entry.folder is None:  # in a wheel, or made by code
        return "in the wheel" if entry.source == "wheel" else "made by code"
    try:
        folder = datasets.data_root() / entry.folder
    except DataUnavailableError:
        return f"missing ({datasets.DATA_ENV} not set)"
    if not folder.is_dir():
        return "missing"
    return "fetched, verified then" if (folder / MANIFEST).is_file() else "present, not verified"


def listing(registry: dict[str, Dataset] = DATASETS) -> str:
    """The table ``dipkit data list`` prints, then each dataset's description, source and checksums' origin."""
    rows = [("dataset", "used by (chapters, profile)", "size", "licence", "here")]
    rows += [(entry.name, entry.used_by, entry.size, entry.licence, quick_state(entry)) for entry in registry.values()]
    blocks = []
    for entry in registry.values():
        lines = [f"{entry.name}: {entry.description}", f"  source: {entry.url}"]
        lines += [f"  fetch: {remote.url} ({remote.checksum or 'no checksum'}: {remote.checksum_source})"
                  for remote in entry.files]
        if entry.checksums:
            lines.append(f"  fetch: each file of dipkit/{entry.checksums} from {entry.url} (sha256 of each)")
        if entry.manual:
            lines.append(f"  by hand: {entry.manual}")
        blocks.append("\n".join(lines))
    return text_table(rows) + "\n\n" + "\n\n".join(blocks)


def main(command: str, names: list[str], registry: dict[str, Dataset] = DATASETS) -> int:
    """``dipkit data list``, ``fetch NAME...``, ``verify [NAME...]`` (default: every dataset): one line per dataset;
    1 when one could not be fetched or is missing or corrupt."""
    if command == "list":
        print(listing(registry))
        return 0
    for name in names:
        _entry(name, registry)  # a typo is refused, with the accepted names, before anything is downloaded
    failed = False
    for name in names or list(registry):
        try:
            found = fetch(name, registry) if command == "fetch" else check(name, registry)
        except DataUnavailableError as error:
            found = Check(name, "not fetched" if command == "fetch" else "missing", str(error))
        print(f"{name}: {found.state}" + (f": {found.detail}" if found.detail else ""))
        failed |= not found.ok
    return 1 if failed else 0


__all__ = ["MANIFEST", "STATES", "Check", "check", "fetch", "listing", "main", "quick_state"]
