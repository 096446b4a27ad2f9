"""Measure how fast, and in how much memory, the downloader and the regime cache refuse bad input.

Usage::

    python benchmarks/faults.py [--out benchmarks/results]

Loopback servers on 127.0.0.1 only. Measures (never asserted in tests):

* a 1 MB zip that inflates to 1 GiB: time to refusal and peak traced memory,
  with honest sizes (refused on the declared size) and with a declared size
  under the cap (stopped while inflating);
* a server trickling one byte every 0.5 s against ``--timeout 2``: how long the
  fetch is held (the contract: at most the timeout plus one second);
* the regime cache: a cold walk-forward, a verified hit, and a discarded
  (garbage) entry recomputed.

Writes ``faults.md`` to the output folder and prints it.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import tracemalloc
import warnings
import zipfile
from pathlib import Path

# Run as a script, this folder would come first on sys.path: drop it before importing the project.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plumbing.errors import DownloadError  # noqa: E402
from regimes.data.download import DownloadSource  # noqa: E402
from tests.test_download import _Server  # noqa: E402
from tests.test_faults_cache import make_features  # noqa: E402
from tests.test_faults_download import _raw_zip, _Trickle, _zip_bomb  # noqa: E402


def _fetch(url: str, **kwargs: object) -> tuple[float, float, str]:
    src = DownloadSource(cache_dir=tempfile.mkdtemp(), publishers={"french": f"{url}/ftp"}, backoff=0.01,
                         **kwargs)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        src.fetch("mom_monthly")
        message = "accepted"
    except DownloadError as exc:
        message = exc.message.split(";")[0]
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    rows = ["| case | seconds | peak traced MiB | outcome |", "|---|---|---|---|"]
    bomb = _zip_bomb("F-F_Momentum_Factor.csv")
    info = zipfile.ZipFile(io.BytesIO(bomb)).infolist()[0]
    start = info.header_offset + 30 + len(info.filename)
    liar = _raw_zip(info.filename.encode(), bomb[start: start + info.compress_size], info.CRC, 60 << 20)
    for label, body in ((f"{len(bomb) / 1e6:.2f} MB zip inflating to 1 GiB (sizes declared)", bomb),
                        ("same data, 60 MiB declared (under the 64 MiB cap)", liar)):
        with _Server({"/ftp/F-F_Momentum_Factor_CSV.zip": (200, body)}) as server:
            seconds, peak, message = _fetch(server.url)
        rows.append(f"| {label} | {seconds:.2f} | {peak:.1f} | {message} |")
    for slow_headers in (False, True):
        with _Trickle(b"x" * 10_000, interval=0.5, slow_headers=slow_headers) as server:
            seconds, peak, message = _fetch(server.url, timeout=2.0, retries=3)
        part = "headers" if slow_headers else "body"
        rows.append(f"| {part} trickled 1 byte / 0.5 s, --timeout 2 --retries 3 | {seconds:.2f} | {peak:.1f} | "
                    f"{message} |")

    from regimes.specs import DetectorSpec
    from regimes.walkforward import Schedule, walk_forward
    features, cache = make_features(), Path(tempfile.mkdtemp())
    for label, prepare in (("regime cache: cold (jump, 180 months)", None), ("regime cache: verified hit", None),
                           ("regime cache: garbage entry discarded and recomputed", "garbage")):
        if prepare:
            for entry in (cache / "regimes").glob("*.npz"):
                entry.write_bytes(b"garbage")
        started = time.perf_counter()
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            path = walk_forward(DetectorSpec.from_dict({"name": "jump"}).build(0), features, features.index,
                                Schedule(refit_every=12, min_history=60), cache_dir=cache)
        rows.append(f"| {label} | {time.perf_counter() - started:.3f} | | {path.info['cache']} |")
    text = "# Fault handling: measurements\n\n" + "\n".join(rows) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "faults.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
