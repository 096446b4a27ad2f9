"""Registered replications and the run that puts them on one scoreboard (``factor-regimes replicate``).

A replication is a config in ``configs/replications/`` whose analysis returns scoreboard rows (its
``data["scoreboard"]``, :mod:`experiments.analyses.scoreboard`) against bands stated in that config. Each
config also runs on its own (``factor-regimes run``). :func:`replicate` runs the named studies (default all)
in one output folder: each study's own run directory in a subfolder, then ``scoreboard.json``,
``scoreboard.csv`` and ``index.html`` (:mod:`experiments.scoreboard_page`).

Studies that cannot honestly run yet are listed in :data:`PENDING` with the reason; the page shows them as a
section without rows, never with made-up figures.

The output folder is protected as a run directory (:mod:`experiments.outdir`): it may replace an earlier
scoreboard folder holding only files a scoreboard run wrote; anything else is refused, or with ``force``
moved aside (never deleted); a run directory of a config is never replaced.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.outdir import RunTargetError, is_run_directory, target_path
from plumbing.errors import FactorRegimesError
from plumbing.registry import Registry

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs" / "replications"
#: What a scoreboard folder's manifest names as its config (fixed, so any scoreboard run replaces another).
IDENTITY = {"name": "replications", "kind": "replication scoreboard"}


@dataclass(frozen=True)
class Replication:
    """One registered study.

    Attributes
    ----------
    name : str
        Study name (the scoreboard's ``study`` column and the subfolder of its run directory).
    title : str
        Authors, year and what is reproduced, for the page.
    config : Path
        Its config in ``configs/replications/``.
    analysis : str
        The config's analysis whose ``data["scoreboard"]`` holds the rows.
    blind : bool
        Whether its bands were written before any of its figures were seen (False: the config says why not).
    """

    name: str
    title: str
    config: Path
    analysis: str
    blind: bool = True


STUDIES: Registry = Registry("replication")


def _study(name: str, title: str, analysis: str, blind: bool = True) -> None:
    def factory() -> Replication:
        return Replication(name, title, CONFIGS / f"{name}.yaml", analysis, blind)
    STUDIES.register(name)(factory)


_study("aliyev_2025", "Aliyev (2025): ridge timing of momentum, Table 1 as published and honest variants",
       "replicate_aliyev2025", blind=False)
_study("barroso_santa_clara_2015", "Barroso & Santa-Clara (2015): momentum scaled to 12 % volatility, 1927-2011",
       "vol_managed_momentum", blind=False)
_study("moreira_muir_2017", "Moreira & Muir (2017): volatility-managed factors, Table I", "moreira_muir_2017")
_study("daniel_moskowitz_2016", "Daniel & Moskowitz (2016): dynamic momentum against constant volatility",
       "daniel_moskowitz_2016")

_study("shu_yu_mulvey_2024", "Shu, Yu & Mulvey (2024): statistical jump model vs HMM 0/1 timing of the S&P 500, "
       "daily, 2007-2023", "shu_yu_mulvey_2024")

#: Studies that cannot honestly run yet: name -> (title, reason). None at present.
PENDING: dict[str, tuple[str, str]] = {}


def select(names: Iterable[str]) -> list[Replication]:
    """The named studies (all registered ones when none is named), in registry order for the default.

    Raises
    ------
    FactorRegimesError
        An unknown name (with the closest ones), or a study of :data:`PENDING` (with its reason).
    """
    names = list(names)
    for name in names:
        if name in PENDING:
            raise FactorRegimesError(f"replication {name!r} is {PENDING[name][1]}")
        STUDIES.get(name)  # unknown: one line with did-you-mean
    chosen = names or STUDIES.names()
    return [STUDIES.get(n)() for n in dict.fromkeys(chosen)]


@dataclass
class StudyOutcome:
    study: Replication
    run_dir: Path
    rows: list[dict[str, Any]]
    seconds: float
    figures: list[str] = field(default_factory=list)


def study_rows(outcome, analysis: str, where: str) -> list[dict[str, Any]]:
    """The scoreboard rows of the config's ``analysis`` in a run outcome; none is an error, never hidden."""
    names = [a["name"] for a in outcome.config.get("analyses") or []]
    out = (outcome.analyses or [])[names.index(analysis)]
    board = out.data.get("scoreboard") or []
    if not board:
        raise FactorRegimesError(f"{where}: analysis {analysis!r} gave no scoreboard rows (its 'paper' parameter "
                                 "states the figures and their bands)")
    return list(board)


def _refuse_foreign_run_dir(out: Path, force: bool) -> None:
    """With ``force`` a run directory of a config would be replaced by ``staged_dir``: refuse it instead."""
    from experiments.config import config_hash
    target = target_path(out)
    if force and is_run_directory(target):
        found = json.loads((target / "manifest.json").read_text(encoding="utf-8")).get("config_hash")
        if found != config_hash(IDENTITY):
            raise RunTargetError(f"{target}: is the run directory of a config, not a replication scoreboard; "
                                 "left untouched even with --force (choose another --out)")


def replicate(studies: list[Replication], out: Path, data_dir: Path | None = None, force: bool = False,
              protected: Iterable[str | Path] = (), progress: Callable[[str, str], None] | None = None
              ) -> list[StudyOutcome]:
    """Run ``studies`` into ``out`` and write the scoreboard (see module docstring).

    Every config is resolved and its data read and checked (:func:`experiments.runner.preflight`) before the
    output folder is touched. Returns each study's outcome (rows, wall seconds, run directory).
    """
    from experiments.config import config_hash
    from experiments.runner import preflight, resolve, run_config, staged_dir
    from experiments.scoreboard_page import write_scoreboard

    say = progress or (lambda stage, detail="": None)
    prepared = []
    for study in studies:
        if not study.config.is_file():
            raise FactorRegimesError(f"{study.config}: the config of replication {study.name!r} is missing")
        located: dict = {}
        config = resolve(study.config, (), data_dir, located_out=located)
        if study.analysis not in [a["name"] for a in config.get("analyses") or []]:
            raise FactorRegimesError(f"{study.config}: has no analysis {study.analysis!r}")
        say("checking data", study.name)
        prepared.append((study, config, preflight(config, study.config, located)))
    _refuse_foreign_run_dir(out, force)
    outcomes: list[StudyOutcome] = []
    with staged_dir(out, IDENTITY, say, force=force, protected=protected) as (_target, tmp):
        for study, config, source in prepared:
            say("running", study.name)
            t0 = time.perf_counter()
            outcome = run_config(config, tmp / study.name, use_cache=True, source=source,
                                 progress=lambda stage, detail="", s=study.name: say(stage, f"{s}: {detail}"))
            seconds = time.perf_counter() - t0
            figures = sorted(str(p.relative_to(tmp)) for p in (tmp / study.name / "figures").glob("*.png"))
            outcomes.append(StudyOutcome(study, tmp / study.name, study_rows(outcome, study.analysis,
                                                                             str(study.config)), seconds, figures))
        say("writing", "scoreboard")
        write_scoreboard(tmp, outcomes, PENDING)
        outputs = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        manifest = {**IDENTITY, "config_hash": config_hash(IDENTITY), "studies": [o.study.name for o in outcomes],
                    "seconds_by_study": {o.study.name: round(o.seconds, 2) for o in outcomes},
                    "outputs": outputs}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return outcomes
