"""Which publisher database vintage each loaded file comes from, and whether a run mixes them.

The Ken French library rebuilds its whole history from each new CRSP
database (the 2025 revision changed 1926 values), and every file states the
database it was built from (``This file was created using the 202511 CRSP
database.``). Files of different vintages are each genuine, but combining
them (for example monthly factors of 202511 with daily factors of 202604)
must be said, in the terminal output and in the report.

Usage (``records`` are the :class:`regimes.data.sources.FileRecord` of a run,
for example ``Panel.records``)::

    message = mixed_vintage_message(records)
    if message:
        print(message)          # and put it in the report
"""

from __future__ import annotations

from collections.abc import Iterable

from regimes.data.catalog import CATALOG
from regimes.data.sources import FileRecord

UNKNOWN = "unknown"


def _has_vintage(record: FileRecord) -> bool:
    spec = CATALOG.get(record.key)
    return bool(record.vintage) or (spec is not None and spec.publisher == "french" and record.origin != "sample")


def vintages(records: Iterable[FileRecord]) -> dict[str, list[str]]:
    """Group the series that carry a vintage by vintage.

    Parameters
    ----------
    records : iterable of FileRecord
        The records of the files a run (or a listing) used; duplicates of
        one key count once.

    Returns
    -------
    dict of str to list of str
        ``{vintage: [keys]}`` in increasing vintage order (``"unknown"``
        last, for a Ken French file that does not state its vintage);
        series without a vintage (CBOE, FRED, Yahoo, AQR, the sample) are
        left out.
    """
    groups: dict[str, list[str]] = {}
    seen: set[str] = set()
    for record in records:
        if record.key in seen or not _has_vintage(record):
            continue
        seen.add(record.key)
        groups.setdefault(record.vintage or UNKNOWN, []).append(record.key)
    order = sorted(groups, key=lambda v: (v == UNKNOWN, v))
    return {v: groups[v] for v in order}


def mixed_vintage_message(records: Iterable[FileRecord]) -> str | None:
    """One line saying that the files used come from different vintages, or None if they do not.

    Examples
    --------
    ``"Ken French files of mixed CRSP vintages: 202511 (ff3_monthly, mom_monthly), 202604 (ff3_daily)"``
    """
    groups = vintages(records)
    if len(groups) < 2:
        return None
    parts = ", ".join(f"{v} ({', '.join(keys)})" for v, keys in groups.items())
    return f"Ken French files of mixed CRSP vintages: {parts}"
