"""Forecasters, allocators, backtest, metrics and statistical tests."""
