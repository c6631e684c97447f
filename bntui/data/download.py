"""Downloading MNIST and Fashion-MNIST into the user's cache, verified by SHA-256.

Each of the four official ``.gz`` files is streamed into a temporary file next to its
final place, hashed on the way, and renamed into place only when its SHA-256 matches the
published value (so the cache never holds a partial or wrong file). The checksums below
are the values published alongside the MNIST mirrors (torchvision, TensorFlow and many
independent scripts agree on them) and for Fashion-MNIST's official S3 files.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import platformdirs

from bntui.data.data_error import DataError

Progress = Callable[[str], None]
"""``progress(line)``: one human line per event (a file found, started, a quarter done,
verified), e.g. ``"train-images-idx3-ubyte.gz: 4.9 of 9.9 MB"``."""

FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

MIRRORS: dict[str, str] = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}

CHECKSUMS: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc"
        ),
        "train-labels-idx1-ubyte.gz": (
            "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf"
        ),
    },
}
"""SHA-256 of each file, per dataset (tests patch this table)."""

SIZES: dict[str, dict[str, int]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": 9_912_422,
        "train-labels-idx1-ubyte.gz": 28_881,
        "t10k-images-idx3-ubyte.gz": 1_648_877,
        "t10k-labels-idx1-ubyte.gz": 4_542,
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": 26_421_880,
        "train-labels-idx1-ubyte.gz": 29_515,
        "t10k-images-idx3-ubyte.gz": 4_422_102,
        "t10k-labels-idx1-ubyte.gz": 5_148,
    },
}
"""Bytes of each file the checksums above belong to: a download stops there (a server
that sends more is cut off and its file deleted)."""

_CHUNK = 1 << 16
_TIMEOUT = 60.0  # seconds without data before a download fails


def cache_dir() -> Path:
    """Where datasets are kept: ``$BNTUI_CACHE_DIR`` if set, else the platform's user cache
    directory for bntui plus ``datasets`` (e.g. ``~/.cache/bntui/datasets``)."""
    override = os.environ.get("BNTUI_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    return platformdirs.user_cache_path("bntui") / "datasets"


def _known(name: str) -> str:
    if name not in CHECKSUMS:
        raise DataError(f"unknown dataset {name!r}; downloadable: {', '.join(CHECKSUMS)}")
    return name


def dataset_dir(name: str) -> Path:
    """The cache directory of one downloadable dataset (it may not exist yet)."""
    return cache_dir() / _known(name)


def is_downloaded(name: str) -> bool:
    """True when all four files of ``name`` are in the cache (not re-hashed here)."""
    d = dataset_dir(name)
    return all((d / f).is_file() for f in FILES)


SYSTEM_DIRS = ("/usr/share/datasets",)
"""Where system packages put datasets (Debian's ``dataset-fashion-mnist``:
``/usr/share/datasets/fashion-mnist``); ``$BNTUI_SYSTEM_DATASETS`` (paths separated by
``os.pathsep``) replaces this list."""


def locate(name: str) -> Path | None:
    """The directory holding all four files of ``name``: the download cache first, then
    each system directory's ``<name>``; None if neither has them."""
    override = os.environ.get("BNTUI_SYSTEM_DATASETS")
    system = override.split(os.pathsep) if override is not None else SYSTEM_DIRS
    for d in (dataset_dir(name), *(Path(s).expanduser() / name for s in system if s)):
        if all((d / f).is_file() for f in FILES):
            return d
    return None


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _say(progress: Progress | None, line: str) -> None:
    if progress is not None:
        progress(line)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _too_big(target: Path, size: int) -> DataError:
    return DataError(
        f"{target.name}: the server sends more than the {size:,} bytes its checksum belongs "
        "to; the download was stopped and deleted (try again or use another mirror)"
    )


def _fetch(
    url: str, target: Path, expected: str, progress: Progress | None, size: int | None = None
) -> None:
    """Stream url into a temp file beside target; rename it into place if the hash fits.
    ``size`` (the known length) bounds what is read: nothing past it is written."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "bntui"})
            with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                if size is not None and total is not None and total > size:
                    raise _too_big(target, size)
                _say(progress, f"{target.name}: downloading {url}")
                done, quarter = 0, 1
                room = (size + 1) if size is not None else None  # one byte past: too long
                while chunk := response.read(_CHUNK if room is None else min(_CHUNK, room - done)):
                    if size is not None and done + len(chunk) > size:
                        raise _too_big(target, size)
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    while total and quarter < 4 and done * 4 >= quarter * total:
                        # a line at 25, 50 and 75 %: alive on slow links, quiet on fast ones
                        _say(progress, f"{target.name}: {_mb(done)} of {_mb(total)}")
                        quarter += 1
            out.flush()
            os.fsync(out.fileno())
        if total is not None and done < total:
            raise DataError(
                f"{target.name}: truncated download ({done:,} of {total:,} bytes: the "
                "connection closed early); the partial file was deleted, try again"
            )
        got = digest.hexdigest()
        if got != expected:
            raise DataError(
                f"{target.name}: SHA-256 mismatch (got {got[:16]}…, expected {expected[:16]}…); "
                "the download was deleted, try again or use another mirror"
            )
        os.replace(tmp, target)  # atomic: the cache holds whole, verified files only
        _say(progress, f"{target.name}: {_mb(done)}, SHA-256 verified")
    except http.client.IncompleteRead as exc:
        raise DataError(
            f"{target.name}: truncated download ({len(exc.partial or b''):,} bytes read, "
            f"{exc.expected or 'more'} expected: the connection closed early); "
            "the partial file was deleted, try again"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DataError(f"could not download {url}: {reason}") from None
    finally:
        tmp.unlink(missing_ok=True)


def remove_partial(directory: Path) -> list[Path]:
    """Delete ``.NAME.*.part`` files a killed download left behind; returns them."""
    gone = []
    for filename in FILES:
        for part in directory.glob(f".{filename}.*.part"):
            part.unlink(missing_ok=True)
            gone.append(part)
    return gone


def download(name: str, *, progress: Progress | None = None, base_url: str | None = None) -> Path:
    """Fetch the four files of "mnist" or "fashion-mnist" into ``cache_dir()/name``.

    Files already present with the right SHA-256 are skipped (``progress`` still gets a
    line for each); a present file with a wrong hash is fetched again. ``base_url``
    replaces the official mirror (any urllib URL, e.g. ``file://``). Returns the
    dataset's directory. Raises DataError on a network error or checksum mismatch (the
    bad download is deleted)."""
    sums = CHECKSUMS[_known(name)]
    base = base_url if base_url is not None else MIRRORS[name]
    if not base.endswith("/"):
        base += "/"
    directory = dataset_dir(name)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{directory}: cannot create the cache directory ({exc})") from None
    remove_partial(directory)
    for filename in FILES:
        target = directory / filename
        expected = sums[filename]
        if target.is_file():
            if sha256_file(target) == expected:
                _say(progress, f"{filename}: already downloaded, SHA-256 verified")
                continue
            target.unlink()  # a stale or damaged copy: fetch it again
        _fetch(base + filename, target, expected, progress, SIZES.get(name, {}).get(filename))
    return directory
