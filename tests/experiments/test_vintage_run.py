"""A run on files of mixed Ken French vintages says so: terminal line, manifest and report."""

from __future__ import annotations

import json
import re
from pathlib import Path

from experiments.cli import run as cli
from experiments.runner import resolve, run_config
from tests import REPO

ROOT = REPO
CONFIG = """extends: {base}
name: vintages
data: {{source: local, start: 2015-01, end: 2018-12}}
regimes: {{detectors: [{{name: vix_threshold}}]}}
forecasting: {{forecasters: [{{name: ridge}}]}}
allocation: {{allocators: [{{name: binary}}]}}
evaluation: {{bootstrap_reps: 20, spa_reps: 20, importance_repeats: 0}}
outputs: {{figures: false, report: true}}
"""


def _stated_vintage(path: Path) -> str:
    """The CRSP database a Ken French file states in its first lines, read independently here."""
    head = path.read_text(errors="replace")[:400]
    return re.search(r"(\d{6}) CRSP database", head).group(1)


def test_a_run_on_mixed_vintages_says_so(shared_data: Path, tmp_path: Path) -> None:
    config_path = tmp_path / "vintages.yaml"
    config_path.write_text(CONFIG.format(base=ROOT / "configs" / "quickstart.yaml"))
    config = resolve(config_path, data_dir=shared_data)
    outcome = run_config(config, tmp_path / "run")
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    used = {r["key"]: r["path"] for r in manifest["data_files"]}
    french = {key: _stated_vintage(Path(path)) for key, path in used.items() if "F-F_" in Path(path).name}
    assert len(set(french.values())) > 1, "the shared data mixes monthly and daily vintages"
    expected: dict[str, list[str]] = {}
    for key, vintage in french.items():
        expected.setdefault(vintage, []).append(key)
    assert {v: sorted(k) for v, k in manifest["vintages"].items()} == {v: sorted(k) for v, k in expected.items()}
    message = manifest["mixed_vintages"]
    assert message and all(v in message for v in expected)
    assert message in manifest["data_notes"]
    assert message in (outcome.run_dir / "report.html").read_text()
    with cli.console.capture() as captured:
        cli._print_summary(outcome)
    assert sum(line.strip() == message for line in captured.get().splitlines()) == 1
