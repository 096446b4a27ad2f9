"""Experiment layer: config, registries, runner, sweeps, run catalog, figures, report, CLI.

One path from YAML to a run directory::

    load_config -> build_study -> run_config (run_study, outputs) -> run directory

Public names are re-exported here and imported on first use, so the command
line starts quickly.
"""

from __future__ import annotations

from plumbing.lazy import lazy_exports

_EXPORTS = {
    "load_config": "experiments.config", "build_study": "experiments.config", "config_hash": "experiments.config",
    "StudySpec": "experiments.study", "StudyResult": "experiments.study", "run_study": "experiments.study",
    "run_config": "experiments.runner", "RunOutcome": "experiments.runner",
    "run_regimes": "experiments.regime_run",
    "plan_sweep": "experiments.sweep", "run_sweep": "experiments.sweep",
    "Catalog": "experiments.catalog",
    "ANALYSES": "experiments.analyses",
    "main": "experiments.cli",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
