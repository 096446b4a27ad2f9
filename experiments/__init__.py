"""Experiment layer: config schema, registries, runner, sweeps, run catalog, figures, report, CLI."""
