"""Fault corpus for the data readers, run through the command line as a user meets it.

Every case is built at test time in ``tmp_path`` from a copy of the real
published files (``FACTOR_REGIMES_DATA_DIR``), with one fault. The contract:
exit status 2, exactly one line on stderr naming the file (and the line
where one line is at fault), no traceback, and nothing written or erased in
the data folder. Cases that must succeed (CRLF/LF, BOM, no footer, trailing
blank lines, a zip) give the same numbers as the clean file.

Unreadable files: the tests run as root, for whom ``chmod 000`` does not
prevent reading; the case then runs the real CLI in a subprocess whose file
opening raises ``PermissionError`` for that one file (as the kernel would for
another user), and uses a real ``chmod 000`` when not root.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regimes.data.catalog import spec
from tests import without_progress

MOM = "F-F_Momentum_Factor.CSV"
MOM_D = "F-F_Momentum_Factor_daily.CSV"
FF3 = "F-F_Research_Data_Factors.CSV"
FF3_D = "F-F_Research_Data_Factors_daily.CSV"
VIX = "VIX_History.csv"


# -- helpers -----------------------------------------------------------------
def run_cli(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """The real entry point in a subprocess; ``prelude`` is Python run first (fault injection)."""
    code = f"{prelude}\nfrom experiments.cli import main\nmain()"
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    result.stderr = without_progress(result.stderr)
    return result


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: file sha256, 'dir', or a link's target."""
    out: dict[str, str] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            rel = p.relative_to(folder).as_posix()
            if p.is_symlink():
                out[rel] = "link->" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            elif not p.is_file():
                out[rel] = "special"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def lines_of(path: Path) -> tuple[list[str], str]:
    """A file's lines and its line ending (the files are ASCII)."""
    text = path.read_bytes().decode("latin-1")
    eol = "\r\n" if "\r\n" in text else "\n"
    return text.split(eol), eol


def write_lines(path: Path, lines: list[str], eol: str) -> None:
    path.write_bytes(eol.join(lines).encode("latin-1"))


def row_index(lines: list[str], prefix: str) -> int:
    """0-based index of the first line starting with ``prefix``."""
    return next(i for i, line in enumerate(lines) if line.startswith(prefix))


def edit(name: str, change: Callable[[list[str]], list[str]], save_as: str | None = None):
    """A case builder: copy ``name`` into the folder (as ``save_as``) with ``change`` applied to its lines."""
    def build(src: Path, dst: Path) -> None:
        lines, eol = lines_of(src / name)
        target = dst / (save_as or name)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_lines(target, change(list(lines)), eol)
    return build


def copy(name: str, save_as: str) -> Callable[[Path, Path], None]:
    def build(src: Path, dst: Path) -> None:
        shutil.copyfile(src / name, dst / save_as)
    return build


def replace_cell(prefix: str, column: int, value: str) -> Callable[[list[str]], list[str]]:
    """Change field ``column`` (0 = date) of the row starting with ``prefix``."""
    def change(lines: list[str]) -> list[str]:
        i = row_index(lines, prefix)
        fields = lines[i].split(",")
        fields[column] = value
        lines[i] = ",".join(fields)
        return lines
    return change


def insert_at(prefix: str, text: str) -> Callable[[list[str]], list[str]]:
    """Insert ``text`` as a line before the row starting with ``prefix``."""
    def change(lines: list[str]) -> list[str]:
        lines.insert(row_index(lines, prefix), text)
        return lines
    return change


def drop_rows(predicate: Callable[[str], bool]) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        return [line for line in lines if not predicate(line)]
    return change


def line_no(src: Path, name: str, prefix: str, shift: int = 0) -> int:
    """1-based line number, in the clean file, of the row starting with ``prefix`` (plus ``shift``)."""
    lines, _ = lines_of(src / name)
    return row_index(lines, prefix) + 1 + shift


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path, Path], None]
    file: str                      # the file the message must name (relative to the data folder)
    message: str                   # a fragment the message must contain
    line: Callable[[Path], int] | None = None   # the line the message must name, from the clean files
    command: str = "info"


def _symlink_to_nowhere(src: Path, dst: Path) -> None:
    (dst / MOM).symlink_to(dst / "gone" / MOM)


def _dir_named_gspc(src: Path, dst: Path) -> None:
    shutil.copyfile(src / "sp500.csv", dst / "sp500.csv")
    (dst / "GSPC.csv").mkdir()
    (dst / "GSPC.csv" / "notes.txt").write_text("not the data\n")


def _dir_named_vix(src: Path, dst: Path) -> None:
    shutil.copyfile(src / "VIXCLS.csv", dst / "VIXCLS.csv")
    (dst / VIX).mkdir()


def _case_duplicates(src: Path, dst: Path) -> None:
    shutil.copyfile(src / "GSPC.csv", dst / "GSPC.csv")
    shutil.copyfile(src / "sp500.csv", dst / "gspc.csv")


def _daily_zip_as_monthly(src: Path, dst: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("F-F_Momentum_Factor.csv", (src / MOM_D).read_bytes())
    (dst / "F-F_Momentum_Factor_CSV.zip").write_bytes(buf.getvalue())


def _write(name: str, payload: bytes) -> Callable[[Path, Path], None]:
    def build(src: Path, dst: Path) -> None:
        (dst / name).write_bytes(payload)
    return build


def _truncated_zip(src: Path, dst: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("F-F_Research_Data_Factors.csv", (src / FF3).read_bytes())
    (dst / "F-F_Research_Data_Factors_CSV.zip").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])


def _to_decimals(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        head = line.split(",")[0].strip()
        if "," in line and head.isdigit():
            out.append(f"{head},{float(line.split(',')[1]) / 100:.4f}")
        else:
            out.append(line)
    return out


def _aqr_dir(src: Path, dst: Path) -> None:
    (dst / "aqr" / "Betting Against Beta Equity Factors Monthly.xlsx").mkdir(parents=True)


def _weekly(lines: list[str]) -> list[str]:
    return lines[:1] + [line for i, line in enumerate(lines[1:]) if i % 5 == 0]


def _month_ends(lines: list[str]) -> list[str]:
    """Keep the header and the last row of each month (a monthly download of the same series)."""
    rows = [line for line in lines[1:] if line]
    keep = [row for row, nxt in zip(rows, rows[1:] + [""]) if row[:7] != nxt[:7]]
    return lines[:1] + keep + [""]


def _copy_row_to(row: str, before: str) -> Callable[[list[str]], list[str]]:
    """Insert a copy of the row starting with ``row`` before the row starting with ``before``."""
    def change(lines: list[str]) -> list[str]:
        lines.insert(row_index(lines, before), lines[row_index(lines, row)])
        return lines
    return change


def _blank_in_annual(lines: list[str]) -> list[str]:
    lines.insert(row_index(lines, "  1990,"), "")
    return lines


def _after_footer(lines: list[str]) -> list[str]:
    while not lines[-1]:
        lines.pop()
    return lines + ["202512,   1.00", ""]


def _annual_line(src: Path, name: str, year: str) -> int:
    lines, _ = lines_of(src / name)
    return next(i for i, line in enumerate(lines) if line.startswith(f"  {year},")) + 1


CASES = [
    # Blank or text lines inside a data block: never a silently shorter series.
    Case("french-blank-line-mid-block", edit(MOM, insert_at("200801,", "")), MOM,
         "blank line inside the data block", lambda s: line_no(s, MOM, "200801,")),
    Case("french-text-line-mid-block", edit(MOM, insert_at("200801,", "Note: revised")), MOM,
         "expected 2 comma-separated fields", lambda s: line_no(s, MOM, "200801,")),
    Case("french-daily-blank-line", edit(FF3_D, insert_at("20080102,", "")), FF3_D,
         "blank line inside the data block", lambda s: line_no(s, FF3_D, "20080102,")),
    Case("french-blank-line-in-annual-block", edit(FF3, _blank_in_annual), FF3,
         "blank line inside the annual block", lambda s: _annual_line(s, FF3, "1990")),
    Case("french-rows-after-footer", edit(MOM, _after_footer), MOM, "unexpected line after the data",
         lambda s: len("\n".join(lines_of(s / MOM)[0]).rstrip().split("\n")) + 1),
    Case("french-truncated-at-a-line-end", edit(MOM, lambda ls: ls[: row_index(ls, "200801,")]), MOM,
         "without the library's 'Copyright' footer", lambda s: line_no(s, MOM, "200801,", -1)),
    Case("french-truncated-mid-row", edit(MOM, lambda ls: ls[: row_index(ls, "200801,")] + ["200801,   -1."]), MOM,
         "without the library's 'Copyright' footer", lambda s: line_no(s, MOM, "200801,")),
    Case("french-truncated-in-annual-block", edit(FF3, lambda ls: ls[: row_index(ls, "  1990,")]), FF3,
         "without the library's 'Copyright' footer", lambda s: _annual_line(s, FF3, "1990") - 1),
    Case("vix-blank-line-mid-file", edit(VIX, insert_at("10/01/2008,", "")), VIX,
         "blank line inside the data block", lambda s: line_no(s, VIX, "10/01/2008,")),
    Case("vix-text-after-data", edit(VIX, lambda ls: [x for x in ls if x] + ["Source: Cboe", ""]), VIX,
         "expected 5 comma-separated fields", lambda s: len([x for x in lines_of(s / VIX)[0] if x]) + 1),
    Case("fred-blank-line-mid-file", edit("T10Y2Y.csv", insert_at("2008-10-01,", "")), "T10Y2Y.csv",
         "blank line inside the data block", lambda s: line_no(s, "T10Y2Y.csv", "2008-10-01,")),
    Case("yahoo-blank-line-mid-file", edit("GSPC.csv", insert_at("2008-10-01,", "")), "GSPC.csv",
         "blank line inside the data block", lambda s: line_no(s, "GSPC.csv", "2008-10-01,")),
    # Frequency: a daily file in a monthly slot and the reverse.
    Case("french-daily-in-monthly-slot", copy(MOM_D, MOM), MOM, "expected a monthly file",
         lambda s: line_no(s, MOM_D, "19261103,")),
    Case("french-monthly-in-daily-slot", copy(FF3, FF3_D), FF3_D, "expected a daily file",
         lambda s: line_no(s, FF3, "192607,")),
    Case("french-daily-zip-in-monthly-slot", _daily_zip_as_monthly, "F-F_Momentum_Factor_CSV.zip!F-F_Momentum_Factor.csv",
         "found daily rows"),
    Case("fred-weekly-in-daily-slot", edit("T10Y2Y.csv", _weekly), "T10Y2Y.csv", "expected daily data, found weekly"),
    Case("yahoo-monthly-in-daily-slot", edit("GSPC.csv", _month_ends), "GSPC.csv", "expected daily data, found monthly"),
    Case("vix-weekly-in-daily-slot", edit(VIX, _weekly), VIX, "expected daily data, found weekly"),
    Case("fred-monthly-in-daily-slot", copy("GS10.csv", "VIXCLS.csv"), "VIXCLS.csv",
         "expected the FRED series 'VIXCLS', found 'GS10'", lambda s: 1),
    # Consecutive months and no hole in a daily series.
    Case("french-missing-year", edit(MOM, drop_rows(lambda x: x.startswith("2008") and len(x.split(",")[0]) == 6)),
         MOM, "missing 12 months: 2008-01..2008-12"),
    Case("french-missing-month", edit(FF3, drop_rows(lambda x: x.startswith("199903,"))), FF3,
         "missing 1 month: 1999-03"),
    Case("fred-monthly-missing-month", edit("UNRATE.csv", drop_rows(lambda x: x.startswith("2001-05-01"))),
         "UNRATE.csv", "missing 1 month: 2001-05"),
    Case("french-daily-missing-year", edit(MOM_D, drop_rows(lambda x: x.startswith("2008") and len(x.split(",")[0]) == 8)),
         MOM_D, "no rows between 2007-12-31 and 2009-01-02"),
    # Plausibility of every value.
    Case("french-1e300", edit(MOM, replace_cell("200904,", 1, "1e300")), MOM, "implausible value 1e+300 %",
         lambda s: line_no(s, MOM, "200904,")),
    Case("french-below-minus-100pct", edit(FF3, replace_cell("200810,", 3, "-150.00")), FF3,
         "implausible value -150 % in column 'HML' on 2008-10-31", lambda s: line_no(s, FF3, "200810,")),
    Case("french-inf", edit(MOM, replace_cell("200904,", 1, "inf")), MOM, "expected a finite number",
         lambda s: line_no(s, MOM, "200904,")),
    Case("french-nan", edit(MOM, replace_cell("200904,", 1, "nan")), MOM, "expected a finite number",
         lambda s: line_no(s, MOM, "200904,")),
    Case("french-annual-implausible", edit(FF3, replace_cell("  2008,", 1, "5000.00")), FF3,
         "implausible value 5000 %", lambda s: _annual_line(s, FF3, "2008")),
    Case("vix-negative", edit(VIX, replace_cell("11/20/2008,", 4, "-80.86")), VIX, "implausible value -80.86",
         lambda s: line_no(s, VIX, "11/20/2008,")),
    Case("vix-zero", edit(VIX, replace_cell("11/20/2008,", 4, "0")), VIX, "implausible value 0",
         lambda s: line_no(s, VIX, "11/20/2008,")),
    Case("vix-huge", edit(VIX, replace_cell("11/20/2008,", 4, "1e300")), VIX, "implausible value 1e+300",
         lambda s: line_no(s, VIX, "11/20/2008,")),
    Case("vixcls-negative", edit("VIXCLS.csv", replace_cell("2008-11-20,", 1, "-80.86")), "VIXCLS.csv",
         "implausible value -80.86", lambda s: line_no(s, "VIXCLS.csv", "2008-11-20,")),
    Case("yahoo-negative-close", edit("GSPC.csv", replace_cell("2008-10-10,", 4, "-899.22")), "GSPC.csv",
         "implausible value -899.22 in column 'close'", lambda s: line_no(s, "GSPC.csv", "2008-10-10,")),
    Case("yahoo-inf-adj-close", edit("GSPC.csv", replace_cell("2008-10-10,", 5, "inf")), "GSPC.csv",
         "expected a finite number in column 'adj_close'", lambda s: line_no(s, "GSPC.csv", "2008-10-10,")),
    Case("etf-negative-volume", edit("etf/SPY.csv", replace_cell("2020-03-16,", 6, "-5"), save_as="etf/SPY.csv"),
         "etf/SPY.csv", "implausible value -5 in column 'volume'", lambda s: line_no(s, "etf/SPY.csv", "2020-03-16,")),
    Case("usrec-not-0-or-1", edit("USREC.csv", replace_cell("2008-10-01,", 1, "2")), "USREC.csv",
         "implausible value 2 in column 'USREC'", lambda s: line_no(s, "USREC.csv", "2008-10-01,")),
    # Rows out of order are sorted (see the succeeding cases), but a date given twice is refused.
    Case("french-duplicate-row-apart", edit(MOM, _copy_row_to("200801,", "200805,")), MOM,
         "duplicate date 2008-01-31 (also on line", lambda s: line_no(s, MOM, "200805,")),
    Case("vix-duplicate-row", edit(VIX, _copy_row_to("10/10/2008,", "10/13/2008,")), VIX,
         "duplicate date 2008-10-10 (also on line", lambda s: line_no(s, VIX, "10/13/2008,")),
    # A directory, a broken link or two case-variants where a file is expected.
    Case("gspc-is-a-directory", _dir_named_gspc, "GSPC.csv", "expected a file, found a directory"),
    Case("vix-history-is-a-directory", _dir_named_vix, VIX, "expected a file, found a directory"),
    Case("broken-symlink", _symlink_to_nowhere, MOM, "broken symbolic link"),
    Case("fifo-as-vix", lambda s, d: os.mkfifo(d / VIX), VIX, "found a special file"),
    Case("symlink-loop", lambda s, d: (d / MOM).symlink_to(d / MOM), MOM, "broken symbolic link"),
    Case("case-variant-duplicates", _case_duplicates, "GSPC.csv", "differs only in letter case"),
    # Payloads that are not the file at all.
    Case("html-page-as-vix", _write(VIX, b"<!DOCTYPE html><html><body>Service unavailable</body></html>\n"), VIX,
         "looks like an HTML page", lambda s: 1),
    Case("empty-gspc", _write("GSPC.csv", b""), "GSPC.csv", "file is empty"),
    Case("binary-as-fred", _write("USREC.csv", bytes(range(256)) * 8), "USREC.csv", "binary content"),
    Case("truncated-french-zip", _truncated_zip, "F-F_Research_Data_Factors_CSV.zip", "not a valid zip file"),
    Case("french-in-decimals", edit(MOM, _to_decimals), MOM, "values look like decimals",
         lambda s: line_no(s, MOM, "192701,")),
    Case("aqr-workbook-is-a-directory", _aqr_dir, "aqr/Betting Against Beta Equity Factors Monthly.xlsx",
         "expected a file, found a directory"),
    # The same faults reach `data panel`, which must write nothing.
    Case("panel-blank-line-in-mom", edit(MOM, insert_at("200801,", "")), MOM, "blank line inside the data block",
         lambda s: line_no(s, MOM, "200801,"), command="panel"),
    Case("panel-vix-dir-no-fallback", _dir_named_vix, VIX, "expected a file, found a directory", command="panel"),
]


# -- a second round of cases (a demanding user's variations of each kind) ---------------------------------
FF5 = "F-F_Research_Data_5_Factors_2x3.CSV"
SPY = "etf/SPY.csv"


def _header(text: str) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        lines[0] = text
        return lines
    return change


def _in_etf(name: str, change: Callable[[list[str]], list[str]]) -> Callable[[Path, Path], None]:
    return edit(name, change, save_as=name)


def _etf_folder_is(kind: str) -> Callable[[Path, Path], None]:
    """``etf`` is a broken link or a file, while a top-level SPY.csv would be the next candidate name."""
    def build(src: Path, dst: Path) -> None:
        shutil.copyfile(src / SPY, dst / "SPY.csv")
        if kind == "link":
            (dst / "etf").symlink_to(dst / "gone")
        else:
            (dst / "etf").write_text("not a folder\n")
    return build


def _etf_dir_shadowing(src: Path, dst: Path) -> None:
    (dst / SPY).mkdir(parents=True)
    shutil.copyfile(src / SPY, dst / "SPY.csv")


def _broken_gspc_beside_sp500(src: Path, dst: Path) -> None:
    shutil.copyfile(src / "sp500.csv", dst / "sp500.csv")
    (dst / "GSPC.csv").symlink_to(dst / "gone.csv")


def _zip_of(member: str, name: str, payload: Callable[[Path], bytes]) -> Callable[[Path, Path], None]:
    def build(src: Path, dst: Path) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(member, payload(src))
        (dst / name).write_bytes(buf.getvalue())
    return build


def _mid_file(payload: bytes, insert: bytes) -> bytes:
    cut = payload.index(b"\n", len(payload) // 2) + 1
    return payload[:cut] + insert + payload[cut:]


def _bytes_of(name: str, change: Callable[[bytes], bytes], save_as: str | None = None) -> Callable[[Path, Path], None]:
    def build(src: Path, dst: Path) -> None:
        (dst / (save_as or name)).write_bytes(change((src / name).read_bytes()))
    return build


def _mid_line(src: Path, name: str) -> int:
    """1-based line number of the line _mid_file inserts before."""
    payload = (src / name).read_bytes()
    return payload[: payload.index(b"\n", len(payload) // 2) + 1].count(b"\n") + 1


CASES += [
    # blank lines inside each kind of file
    Case("ff5-blank-line-mid-block", edit(FF5, insert_at("200801,", "")), FF5, "blank line inside the data block",
         lambda s: line_no(s, FF5, "200801,")),
    Case("fred-monthly-blank-line", edit("UNRATE.csv", insert_at("2008-10-01,", "")), "UNRATE.csv",
         "blank line inside the data block", lambda s: line_no(s, "UNRATE.csv", "2008-10-01,")),
    Case("etf-blank-line", _in_etf(SPY, insert_at("2008-10-01,", "")), SPY, "blank line inside the data block",
         lambda s: line_no(s, SPY, "2008-10-01,")),
    # frequency, both ways, in other slots
    Case("ff3-daily-in-monthly-slot", copy(FF3_D, FF3), FF3, "expected a monthly file",
         lambda s: line_no(s, FF3_D, "19260701,")),
    Case("fred-daily-data-as-unrate", edit("VIXCLS.csv", _header("observation_date,UNRATE"), save_as="UNRATE.csv"),
         "UNRATE.csv", "expected monthly data, found daily data"),
    Case("fred-monthly-data-as-t10y2y", edit("GS10.csv", _header("observation_date,T10Y2Y"), save_as="T10Y2Y.csv"),
         "T10Y2Y.csv", "expected daily data, found monthly data"),
    # missing months
    Case("ff5-missing-month", edit(FF5, drop_rows(lambda x: x.startswith("200805,"))), FF5,
         "missing 1 month: 2008-05"),
    Case("fred-gs10-missing-month", edit("GS10.csv", drop_rows(lambda x: x.startswith("2001-05-01"))), "GS10.csv",
         "missing 1 month: 2001-05"),
    # every value checked
    Case("ff5-1e300", edit(FF5, replace_cell("200801,", 2, "1e300")), FF5, "implausible value 1e+300 %",
         lambda s: line_no(s, FF5, "200801,")),
    Case("ff3-minus-100.5", edit(FF3, replace_cell("200801,", 1, "-100.5")), FF3, "implausible value -100.5 %",
         lambda s: line_no(s, FF3, "200801,")),
    Case("french-NaN-text", edit(MOM, replace_cell("200801,", 1, "NaN")), MOM, "expected a finite number",
         lambda s: line_no(s, MOM, "200801,")),
    Case("french-empty-cell", edit(FF3, replace_cell("200801,", 2, "  ")), FF3, "expected a number in column 'SMB'",
         lambda s: line_no(s, FF3, "200801,")),
    Case("french-digit-separator", edit(MOM, replace_cell("200801,", 1, "1_0")), MOM,
         "expected a number in column 'Mom', found '1_0'", lambda s: line_no(s, MOM, "200801,")),
    Case("fred-digit-separator", edit("UNRATE.csv", replace_cell("2008-10-01,", 1, "6_5")), "UNRATE.csv",
         "found '6_5'", lambda s: line_no(s, "UNRATE.csv", "2008-10-01,")),
    Case("fred-too-large-for-a-float", edit("GS10.csv", replace_cell("2008-10-01,", 1, "1e999")), "GS10.csv",
         "expected a finite number", lambda s: line_no(s, "GS10.csv", "2008-10-01,")),
    Case("vixcls-zero", edit("VIXCLS.csv", replace_cell("2008-11-20,", 1, "0")), "VIXCLS.csv", "implausible value 0",
         lambda s: line_no(s, "VIXCLS.csv", "2008-11-20,")),
    Case("yahoo-zero-close", edit("GSPC.csv", replace_cell("2008-10-10,", 4, "0")), "GSPC.csv",
         "implausible value 0 in column 'close'", lambda s: line_no(s, "GSPC.csv", "2008-10-10,")),
    Case("yahoo-1e300-close", edit("GSPC.csv", replace_cell("2008-10-10,", 4, "1e300")), "GSPC.csv",
         "implausible value 1e+300 in column 'close'", lambda s: line_no(s, "GSPC.csv", "2008-10-10,")),
    Case("yahoo-close-typo-x100", edit("GSPC.csv", replace_cell("2008-10-10,", 5, "89922.0")), "GSPC.csv",
         "in column 'adj_close' on 2008-10-10", lambda s: line_no(s, "GSPC.csv", "2008-10-10,")),
    Case("etf-zero-adj-close", _in_etf(SPY, replace_cell("2020-03-16,", 5, "0")), SPY,
         "implausible value 0 in column 'adj_close'", lambda s: line_no(s, SPY, "2020-03-16,")),
    Case("fred-indpro-1e300", edit("INDPRO.csv", replace_cell("2008-10-01,", 1, "1e300")), "INDPRO.csv",
         "implausible value 1e+300 in column 'INDPRO'", lambda s: line_no(s, "INDPRO.csv", "2008-10-01,")),
    # a folder, a broken link or a file where a file or folder is expected: never the next candidate
    Case("vixcls-is-a-directory", lambda s, d: (d / "VIXCLS.csv").mkdir(), "VIXCLS.csv",
         "expected a file, found a directory"),
    Case("etf-file-is-a-directory-beside-top-level", _etf_dir_shadowing, SPY, "expected a file, found a directory"),
    Case("etf-folder-is-a-broken-link", _etf_folder_is("link"), "etf", "found a broken symbolic link"),
    Case("etf-folder-is-a-file", _etf_folder_is("file"), "etf", "expected a folder holding SPY.csv"),
    Case("french-zip-name-is-a-directory", lambda s, d: (d / "F-F_Momentum_Factor_CSV.zip").mkdir(),
         "F-F_Momentum_Factor_CSV.zip", "expected a file, found a directory"),
    Case("broken-gspc-beside-sp500", _broken_gspc_beside_sp500, "GSPC.csv", "broken symbolic link"),
    # encodings, bytes and shapes
    Case("vix-utf16", _bytes_of(VIX, lambda b: b.decode().encode("utf-16")), VIX, "binary content"),
    Case("fred-nul-bytes-mid-file", _bytes_of("UNRATE.csv", lambda b: _mid_file(b, b"\x00\x00")), "UNRATE.csv",
         "expected", lambda s: _mid_line(s, "UNRATE.csv")),
    Case("fred-header-only", _bytes_of("UNRATE.csv", lambda b: b.split(b"\n")[0] + b"\n"), "UNRATE.csv",
         "expected data rows", lambda s: 2),
    Case("vix-truncated-mid-line", _bytes_of(VIX, lambda b: b[: b.index(b"\n", len(b) // 2) + 12]), VIX,
         "expected 5 comma-separated fields", lambda s: _mid_line(s, VIX)),
    Case("vix-extra-column", edit(VIX, lambda ls: [x + ",1" if x else x for x in ls]), VIX, "expected header",
         lambda s: 1),
    Case("yahoo-wrong-column-name", edit("GSPC.csv", _header("Date,Open,High,Low,Last,Adj Close,Volume")),
         "GSPC.csv", "expected a Yahoo header", lambda s: 1),
    # a local zip is held to what a download is: the library's member name, a bounded size
    Case("french-zip-holding-another-member", _zip_of("F-F_Research_Data_Factors.csv", "F-F_Momentum_Factor_CSV.zip",
                                                      lambda s: (s / MOM).read_bytes()),
         "F-F_Momentum_Factor_CSV.zip", "expected only 'F-F_Momentum_Factor.csv'"),
    Case("french-zip-bomb", _zip_of("F-F_Momentum_Factor.csv", "F-F_Momentum_Factor_CSV.zip",
                                    lambda s: b"0" * (65 * 2**20)),
         "F-F_Momentum_Factor_CSV.zip", "uncompressed, more than"),
    # `run` reads and checks every file before it writes anything (no run folder, no catalog record)
    Case("run-blank-line-in-mom", edit(MOM, insert_at("200801,", "")), MOM, "blank line inside the data block",
         lambda s: line_no(s, MOM, "200801,"), command="run"),
    Case("run-vix-dir-no-fallback", _dir_named_vix, VIX, "expected a file, found a directory", command="run"),
    Case("run-gspc-1e300", edit("GSPC.csv", replace_cell("2008-10-10,", 4, "1e300")), "GSPC.csv",
         "implausible value 1e+300", lambda s: line_no(s, "GSPC.csv", "2008-10-10,"), command="run"),
]

RUN_CONFIG = """name: faulty
data: {source: local, start: 2005-01, end: 2010-12, history_start: 1999-01}
regimes: {detectors: [{name: vix_threshold}]}
forecasting: {forecasters: [{name: ridge}]}
evaluation: {bootstrap_reps: 10, spa_reps: 10, importance_repeats: 0}
outputs: {figures: false, report: false}
"""


def _panel_files(src: Path, dst: Path) -> None:
    for name in (FF3, MOM, VIX, "GSPC.csv"):
        if not (dst / name).exists() and not (dst / name).is_symlink():
            shutil.copyfile(src / name, dst / name)


def assert_one_line_error(result: subprocess.CompletedProcess[str], data_dir: Path, case: Case,
                          shared: Path) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout[-500:], result.stderr)
    assert "Traceback" not in result.stderr
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    assert str(data_dir / case.file) in err, err
    assert case.message in err, err
    if case.line is not None:
        assert f"{data_dir / case.file}, line {case.line(shared)}:" in err, err
    return err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reader_fault_exits_2_with_one_line(case: Case, shared_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    case.build(shared_data, data)
    args = ["data", "info", "--source", "local", "--data-dir", str(data)]
    out = tmp_path / "panel.csv"
    if case.command == "panel":
        _panel_files(shared_data, data)
        args = ["data", "panel", "--source", "local", "--data-dir", str(data), "--out", str(out)]
    elif case.command == "run":
        _panel_files(shared_data, data)
        (tmp_path / "c.yaml").write_text(RUN_CONFIG)
        args = ["run", str(tmp_path / "c.yaml"), "--data-dir", str(data), "--runs-dir", str(tmp_path / "runs"),
                "--out", str(tmp_path / "run")]
    before = snapshot(tmp_path)
    result = run_cli(*args)
    assert_one_line_error(result, data, case, shared_data)
    assert snapshot(tmp_path) == before, "nothing may be written or erased"
    assert not out.exists()


UNREADABLE = [(MOM, MOM), (VIX, VIX), ("etf/SPY.csv", "etf/SPY.csv"), ("GSPC.csv", "GSPC.csv"),
              (MOM, "F-F_Momentum_Factor_CSV.zip"),
              ("aqr/Quality Minus Junk Factors Monthly.xlsx", "aqr/Quality Minus Junk Factors Monthly.xlsx")]


@pytest.mark.parametrize(("source_name", "name"), UNREADABLE, ids=[u[1] for u in UNREADABLE])
def test_unreadable_file_exits_2_with_one_line(source_name: str, name: str, shared_data: Path,
                                               tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    target = data / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".zip"):
        _zip_of("F-F_Momentum_Factor.csv", name, lambda s: (s / MOM).read_bytes())(shared_data, data)
    else:
        shutil.copyfile(shared_data / source_name, target)
    prelude = ""
    if os.geteuid() == 0:  # root reads a chmod 000 file: make opening it fail as it would for a user
        prelude = (
            "import builtins, io, pathlib\n"
            f"_target = {str(target)!r}\n"
            "_open = io.open\n"
            "def _guarded(file, *a, **k):\n"
            "    if str(file) == _target:\n"
            "        raise PermissionError(13, 'Permission denied', str(file))\n"
            "    return _open(file, *a, **k)\n"
            "io.open = builtins.open = _guarded\n"
            "pathlib.Path.open = lambda self, *a, **k: _guarded(self, *a, **k)\n"
        )
    else:
        target.chmod(0)
    before = snapshot(tmp_path) if prelude else None
    try:
        result = run_cli("data", "info", "--source", "local", "--data-dir", str(data), prelude=prelude)
    finally:
        target.chmod(0o644)
    case = Case("unreadable", lambda s, d: None, name, "cannot read file: Permission denied")
    assert_one_line_error(result, data, case, shared_data)
    if before is not None:
        assert snapshot(tmp_path) == before


# -- cases that must succeed with the same numbers as the clean file ---------------------------------
def _read(key: str, path: Path) -> pd.DataFrame:
    return spec(key).read(path)


def _to_lf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n")


def _to_crlf(raw: bytes) -> bytes:
    return _to_lf(raw).replace(b"\n", b"\r\n")


def _zip(raw: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("F-F_Momentum_Factor.csv", raw)
    return buf.getvalue()


def _swap(first: bytes, second: bytes) -> Callable[[bytes], bytes]:
    """Swap the two whole lines starting with ``first`` and ``second``."""
    def change(raw: bytes) -> bytes:
        lines = raw.split(b"\n")
        i = next(k for k, x in enumerate(lines) if x.startswith(first))
        j = next(k for k, x in enumerate(lines) if x.startswith(second))
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)
    return change


def _reverse_rows(raw: bytes) -> bytes:
    lines = raw.rstrip(b"\n").split(b"\n")
    return b"\n".join(lines[:1] + lines[1:][::-1]) + b"\n"


SUCCEED = [
    ("french-lf-instead-of-crlf", "mom_monthly", MOM, MOM, _to_lf),
    ("french-bom", "ff3_monthly", FF3, FF3, lambda raw: b"\xef\xbb\xbf" + raw),
    ("french-trailing-blank-lines", "mom_monthly", MOM, MOM, lambda raw: raw + b"\r\n\r\n   \r\n"),
    ("french-zip", "mom_monthly", MOM, "F-F_Momentum_Factor_CSV.zip", _zip),
    ("french-no-final-line-ending", "ff3_monthly", FF3, FF3, lambda raw: raw.rstrip(b"\r\n")),
    ("vix-crlf", "vix", VIX, VIX, _to_crlf),
    ("vix-no-final-line-ending", "vix", VIX, VIX, lambda raw: raw.rstrip(b"\n")),
    ("vix-bom", "vix", VIX, VIX, lambda raw: b"\xef\xbb\xbf" + raw),
    ("french-unsorted-rows", "mom_monthly", MOM, MOM, _swap(b"200801,", b"200802,")),
    ("french-unsorted-annual-rows", "ff3_monthly", FF3, FF3, _swap(b"  1990,", b"  2001,")),
    ("vix-unsorted-rows", "vix", VIX, VIX, _swap(b"10/09/2008,", b"11/20/2008,")),
    ("fred-reversed-rows", "unrate", "UNRATE.csv", "UNRATE.csv", _reverse_rows),
    ("fred-trailing-blank-lines", "t10y2y", "T10Y2Y.csv", "T10Y2Y.csv", lambda raw: raw + b"\r\n\r\n"),
    ("yahoo-crlf-bom", "sp500", "GSPC.csv", "GSPC.csv", lambda raw: b"\xef\xbb\xbf" + _to_crlf(raw)),
]


@pytest.mark.parametrize(("key", "name", "save_as", "change"), [c[1:] for c in SUCCEED], ids=[c[0] for c in SUCCEED])
def test_harmless_variants_give_the_same_numbers(key: str, name: str, save_as: str, change, shared_data: Path,
                                                 tmp_path: Path) -> None:
    variant = tmp_path / save_as
    variant.write_bytes(change((shared_data / name).read_bytes()))
    clean = _read(key, shared_data / name)
    pd.testing.assert_frame_equal(_read(key, variant), clean)


def test_clean_momentum_matches_an_independent_parse(shared_data: Path) -> None:
    """The reader's numbers against a parse written here: rows of six digits between the header and the blank line."""
    rows = []
    for line in (shared_data / MOM).read_text().splitlines():
        head = line.split(",")[0].strip()
        if len(head) == 6 and head.isdigit():
            rows.append((pd.Period(f"{head[:4]}-{head[4:]}", "M").to_timestamp(how="end").normalize(),
                         float(line.split(",")[1]) / 100))
    expected = pd.Series(dict(rows))
    got = _read("mom_monthly", shared_data / MOM)["Mom"]
    assert len(got) == len(expected) == 1187
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy())
    assert (got.index == pd.DatetimeIndex(expected.index)).all()


def _mom_ending_2002(src: Path, dst: Path) -> None:
    """The momentum file cut after 2002-12, footer kept: a valid file that cannot serve 2005..2010."""
    lines, eol = lines_of(src / MOM)
    first, stop = row_index(lines, "200301,"), row_index(lines, "202511,") + 1
    write_lines(dst / MOM, lines[:first] + lines[stop:], eol)


NAMES_THE_DATA_CANNOT_SERVE = [
    # (id, files left out, builder of a replaced file, config line replaced, fragments of the error)
    ("feature-without-its-file", {VIX}, None, ("features: [UMD, HML]", "features: [UMD, HML, vix]"),
     ["c.yaml, line 2", "features.2", "needs panel column 'vix'"]),
    ("detector-feature-without-its-file", {VIX}, None, None,
     ["c.yaml, line 4", "regimes.detectors.0: vix_threshold", "needs panel column 'vix'"]),
    ("target-without-returns-in-the-window", set(), _mom_ending_2002, None,
     ["targets.0: UMD has no return between 2005-01 and 2010-12"]),
]


@pytest.mark.parametrize(("left_out", "build", "swap", "fragments"), [c[1:] for c in NAMES_THE_DATA_CANNOT_SERVE],
                         ids=[c[0] for c in NAMES_THE_DATA_CANNOT_SERVE])
def test_run_refuses_what_the_data_cannot_serve_before_writing(left_out, build, swap, fragments, shared_data: Path,
                                                                tmp_path: Path) -> None:
    """Clean files, but a name the config asks for has no data: one line naming the config key, nothing written."""
    data = tmp_path / "data"
    data.mkdir()
    if build is not None:
        build(shared_data, data)
    for name in (FF3, MOM, VIX, "GSPC.csv"):
        if name not in left_out and not (data / name).exists():
            shutil.copyfile(shared_data / name, data / name)
    config = RUN_CONFIG.replace("name: faulty\n", "name: faulty\nfeatures: [UMD, HML]\n")
    if swap is not None:
        config = config.replace(*swap)
    (tmp_path / "c.yaml").write_text(config)
    before = snapshot(tmp_path)
    result = run_cli("run", str(tmp_path / "c.yaml"), "--data-dir", str(data), "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {tmp_path / 'c.yaml'}"), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert snapshot(tmp_path) == before
