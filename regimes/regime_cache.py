"""On-disk cache of walk-forward regime paths: verified on load, never executable.

An entry is one ``<name>.npz`` file (numpy's zip of ``.npy`` arrays) written
atomically. It holds the probabilities, the decision and refit dates, the
fitted detector's numeric attributes, and a JSON document with the entry's
**full key** (detector class, parameters, hashes of the features and decision
dates, schedule, scaling, package version and a hash of the detector's and
engine's source code) and a sha256 digest of every array.

Loading uses ``numpy.load(allow_pickle=False)``: no object arrays, no pickle,
so a planted file cannot run code. An entry is used only if it opens, its
key equals the key asked for, its digest matches and its arrays have the
shapes the key implies. Anything else (another detector's entry copied in
its place, a truncated or garbage file, an entry written by another package
or code version) raises :class:`CacheEntryInvalid`; the engine then discards
the entry, recomputes, and reports it with one :class:`RegimeCacheWarning`
line.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from plumbing.atomic import PART, atomic_write_bytes, remove_stale_temporaries
from plumbing.errors import FactorRegimesWarning

#: Version of the entry layout; part of every key.
FORMAT = 2
SUFFIX = ".npz"
_FITTED = "fitted__"
#: Name of a temporary file of an entry being written (:func:`plumbing.atomic.atomic_write_bytes`).
_TEMPORARY = re.compile(r"\.[0-9a-f]{32}" + re.escape(SUFFIX) + r"\..+" + re.escape(PART))


class RegimeCacheWarning(FactorRegimesWarning):
    """A regime-cache entry was discarded (and recomputed) or could not be written."""


class CacheEntryInvalid(Exception):
    """An entry that must not be used; the message says why."""


def entry_name(key: dict) -> str:
    """File name of the entry for ``key``: a content hash of the full key."""
    return hashlib.sha256(_canonical(key).encode()).hexdigest()[:32] + SUFFIX


def _canonical(key: dict) -> str:
    return json.dumps(key, sort_keys=True, separators=(",", ":"))


def report(message: str) -> None:
    """Emit ``message`` as one :class:`RegimeCacheWarning` line (no source line is appended)."""
    # warn_explicit with line 0 of a pseudo-file: the default formatter prints exactly one line.
    warnings.warn_explicit(message, RegimeCacheWarning, filename="factor-regimes", lineno=0)


def _ns(index: pd.DatetimeIndex) -> np.ndarray:
    """Nanoseconds since the epoch (UTC for aware indexes), whatever the index's unit."""
    return pd.DatetimeIndex(index).as_unit("ns").asi8.astype(np.int64)


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _fitted_state(detector: object) -> tuple[dict[str, np.ndarray], dict, list[str]]:
    """Numeric fitted attributes (``name_``) as arrays and JSON scalars; the names left out."""
    arrays: dict[str, np.ndarray] = {}
    scalars: dict = {}
    dropped: list[str] = []
    for name, value in sorted(vars(detector).items()):
        if not name.endswith("_") or name.startswith("_"):
            continue
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            arrays[_FITTED + name] = value
        elif isinstance(value, (bool, np.bool_)):
            scalars[name] = bool(value)
        elif isinstance(value, (int, np.integer)):
            scalars[name] = int(value)
        elif isinstance(value, (float, np.floating)):
            scalars[name] = float(value)
        elif isinstance(value, dict) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                             for v in value.values()):
            scalars[name] = {str(k): float(v) for k, v in value.items()}
        else:
            dropped.append(name)
    return arrays, scalars, dropped


def is_temporary(name: str) -> bool:
    """Whether ``name`` is a temporary file of an entry being written (``.<entry>.npz.<random>.part``)."""
    return _TEMPORARY.fullmatch(name) is not None


def write(path: Path, key: dict, proba: pd.DataFrame, next_proba: pd.DataFrame, refit_dates: pd.DatetimeIndex,
          detector: object, info: dict) -> None:
    """Write an entry atomically; a failure to write is reported on one line, never raised.

    First removes the temporary files that killed writers left in the cache
    folder (never one a live writer still holds: see
    :func:`plumbing.atomic.remove_stale_temporaries`).
    """
    arrays = {"proba": proba.to_numpy(dtype=float), "next_proba": next_proba.to_numpy(dtype=float),
              "dates": _ns(proba.index), "refit_dates": _ns(refit_dates),
              "columns": np.asarray(list(proba.columns), dtype=str)}
    fitted, scalars, dropped = _fitted_state(detector)
    arrays.update(fitted)
    meta = {"key": key, "digest": _digest(arrays), "scalars": scalars, "not_cached": dropped,
            "info": json.loads(json.dumps(info, default=str))}
    buf = io.BytesIO()
    np.savez(buf, meta=np.asarray(json.dumps(meta, sort_keys=True)), **arrays)
    try:
        remove_stale_temporaries(path.parent, is_temporary)
        atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:
        report(f"regime cache: could not write {path} ({exc.strerror or exc}); the result is not cached")


def read(path: Path, key: dict) -> dict:
    """Load and verify the entry at ``path`` against the full ``key``.

    Returns
    -------
    dict
        ``proba``, ``next_proba`` (DataFrames), ``refit_dates``, ``fitted``
        (attribute name -> array or scalar) and ``info``.

    Raises
    ------
    CacheEntryInvalid
        The file is unreadable, truncated, not an entry, holds another key
        (detector, parameters, data, schedule, package or code version),
        or its arrays do not match their digest.
    """
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic != b"PK\x03\x04":
            raise CacheEntryInvalid("unreadable (not an .npz archive: empty, truncated or garbage)")
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise CacheEntryInvalid("unreadable (it holds pickled object arrays, which are never loaded)") from None
        raise CacheEntryInvalid(f"unreadable (ValueError: {exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise CacheEntryInvalid(f"unreadable ({type(exc).__name__}: {exc})") from None
    try:
        meta = json.loads(str(arrays.pop("meta")[()]))
        stored_key, digest = meta["key"], meta["digest"]
    except (KeyError, TypeError, ValueError, IndexError):
        raise CacheEntryInvalid("not a regime-cache entry (no valid metadata)") from None
    if not isinstance(stored_key, dict) or _canonical(stored_key) != _canonical(key):
        raise CacheEntryInvalid(f"it holds another result ({_difference(stored_key, key)})")
    if digest != _digest(arrays):
        raise CacheEntryInvalid("its arrays do not match their digest")
    try:
        proba, nxt, dates, refits, columns = (arrays[n] for n in ("proba", "next_proba", "dates", "refit_dates",
                                                                  "columns"))
    except KeyError as exc:
        raise CacheEntryInvalid(f"array {exc} is missing") from None
    if (proba.ndim != 2 or nxt.shape != proba.shape or dates.shape != (len(proba),)
            or columns.shape != (proba.shape[1],) or refits.ndim != 1 or len(dates) != key["dates"]["n"]):
        raise CacheEntryInvalid("its arrays have inconsistent shapes")
    index = pd.DatetimeIndex(dates.astype("datetime64[ns]"))
    cols = [str(c) for c in columns]
    fitted = {name[len(_FITTED):]: value for name, value in arrays.items() if name.startswith(_FITTED)}
    fitted.update(meta.get("scalars", {}))
    return {"proba": pd.DataFrame(proba, index=index, columns=cols),
            "next_proba": pd.DataFrame(nxt, index=index, columns=cols),
            "refit_dates": pd.DatetimeIndex(refits.astype("datetime64[ns]")), "fitted": fitted,
            "info": dict(meta.get("info", {}))}


def _difference(stored: object, expected: dict) -> str:
    if not isinstance(stored, dict):
        return "no key"
    diffs = [k for k in sorted(set(stored) | set(expected)) if stored.get(k) != expected.get(k)]
    detail = []
    for k in diffs[:3]:
        if k in ("detector", "package", "format"):
            detail.append(f"{k} {stored.get(k)!r}, expected {expected.get(k)!r}")
        else:
            detail.append(f"{k} differs")
    return "; ".join(detail) or "key differs"
