"""Malformed inputs raise DataError naming the file, the line and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from plumbing.errors import DataError
from regimes.data.french import read_french
from regimes.data.readers import read_cboe_vix, read_fred, read_tidy, read_yahoo

FRENCH_HEAD = "This file was created using the 202511 CRSP database.\r\n\r\n,Mkt-RF,SMB,HML,RF\r\n"
GOOD_FRENCH_ROWS = "".join(f"2000{m:02d},   {m - 6.5:.2f},  -1.{m:02d},   0.{m:02d},   0.4\r\n" for m in range(1, 13))
HTML = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not found</body></html>\n"

CASES = [
    # (id, reader, file content, message regex including the line where one is at fault)
    ("french-html", read_french, HTML, r"line 1: looks like an HTML page"),
    ("french-empty", read_french, "", r"file is empty"),
    ("french-blank-only", read_french, "\r\n\r\n", r"file is empty"),
    ("french-no-header", read_french, "Some text\r\n200001, 1.0\r\n", r"header line starting with ','"),
    ("french-truncated-row", read_french, FRENCH_HEAD + GOOD_FRENCH_ROWS[:200] + "200102,   1.20,  -0.5\r\n",
     r"line \d+: expected 5 comma-separated fields"),
    ("french-duplicate-date", read_french, FRENCH_HEAD + "200001, 1.0, 2.0, 3.0, 0.4\r\n200001, 1.0, 2.0, 3.0, 0.4\r\n",
     r"line 5: duplicate date 2000-01-31"),
    ("french-duplicate-apart", read_french,
     FRENCH_HEAD + "200001, 1.0, 2.0, 3.0, 0.4\r\n200002, 1.0, 2.0, 3.0, 0.4\r\n200001, 1.5, 2.0, 3.0, 0.4\r\n",
     r"line 6: duplicate date 2000-01-31 \(also on line 4\)"),
    ("french-non-numeric", read_french, FRENCH_HEAD + "200001, 1.0, abc, 3.0, 0.4\r\n",
     r"line 4: expected a number in column 'SMB', found 'abc'"),
    ("french-bad-month", read_french, FRENCH_HEAD + "200013, 1.0, 2.0, 3.0, 0.4\r\n",
     r"line 4: expected a date as YYYYMM, found '200013'"),
    ("french-decimals", read_french,
     FRENCH_HEAD + "".join(f"2000{m:02d}, 0.0{m % 9 + 1}, -0.01{m % 9}, 0.02, 0.004\r\n" for m in range(1, 13)),
     r"line 4: values look like decimals"),
    ("french-no-rows", read_french, FRENCH_HEAD + "\r\nCopyright\r\n", r"line 4: expected YYYYMM or YYYYMMDD rows"),
    ("cboe-wrong-header", read_cboe_vix, "Date,Close\n01/02/1990,17.24\n",
     r"line 1: expected header 'DATE,OPEN,HIGH,LOW,CLOSE'"),
    ("cboe-html", read_cboe_vix, HTML, r"line 1: looks like an HTML page"),
    ("cboe-bad-date", read_cboe_vix, "DATE,OPEN,HIGH,LOW,CLOSE\n1990-01-02,1,1,1,17\n",
     r"line 2: expected a date as MM/DD/YYYY, found '1990-01-02'"),
    ("cboe-decimals", read_cboe_vix, "DATE,OPEN,HIGH,LOW,CLOSE\n01/02/1990,.17,.17,.17,.17\n01/03/1990,.18,.18,.18,.18\n",
     r"VIX closes should be index points"),
    ("fred-wrong-header", read_fred, "date;VIXCLS\n1990-01-02;17.24\n", r"line 1: expected a FRED header"),
    ("fred-non-numeric", read_fred, "observation_date,VIXCLS\n1990-01-02,17.24\n1990-01-03,n/a\n",
     r"line 3: expected a number in column 'VIXCLS', found 'n/a'"),
    ("fred-duplicate", read_fred, "DATE,T10Y2Y\n2000-01-03,0.5\n2000-01-03,0.6\n", r"line 3: duplicate date 2000-01-03"),
    ("yahoo-wrong-header", read_yahoo, "Date,Price\n2000-01-03,1455.2\n", r"line 1: expected a Yahoo header"),
    ("yahoo-truncated-row", read_yahoo,
     "Date,Open,High,Low,Close,Adj Close,Volume\n2000-01-03,1,1,1,1,1,100\n2000-01-04,1,1,1\n",
     r"line 3: expected 7 comma-separated fields"),
    ("yahoo-negative-close", read_yahoo,
     "Date,Open,High,Low,Close,Volume\n2000-01-03,1,1,1,1,100\n2000-01-04,1,1,1,-5,100\n",
     r"line 3: implausible value -5 in column 'close'"),
    ("tidy-empty", read_tidy, "   \n", r"file is empty"),
    ("tidy-duplicate-columns", read_tidy, "date,a,a\n2000-01-03,1,2\n", r"line 1: duplicate column names"),
    ("tidy-non-numeric", read_tidy, "date,signal\n2000-01-03,1\n2000-01-04,high\n",
     r"line 3: expected a number in column 'signal', found 'high'"),
]


@pytest.mark.parametrize(("reader", "content", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_input_raises_documented_error(tmp_path: Path, reader, content: str, message: str) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content.encode())
    with pytest.raises(DataError, match=message) as info:
        reader(path)
    assert str(info.value).startswith(str(path)), "the error must name the file"
    assert "\n" not in str(info.value), "the error must be one line"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        read_french(tmp_path / "nope.CSV")


def test_truncated_zip(tmp_path: Path, shared_data: Path) -> None:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("F-F_Momentum_Factor.csv", (shared_data / "F-F_Momentum_Factor.CSV").read_bytes())
    path = tmp_path / "F-F_Momentum_Factor_CSV.zip"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(DataError, match="not a valid zip file"):
        read_french(path)
