"""Every registered detector passes scikit-learn's ``check_estimator``, except the checks its class declares not
applicable in ``expected_failed_checks`` (check name -> reason).

Small settings keep each detector fast; the declared names must be real checks of the suite (a misspelt or
retired name would silently excuse nothing).
"""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits

from regimes.detectors import DETECTORS
from regimes.detectors.jump import JumpModelDetector

# parameters for speed (and, for vix_threshold, a level that the checks' data can cross); others use defaults
FAST: dict[str, dict] = {
    "hmm": {"n_init": 1, "n_iter": 20},
    "ensemble": {"members": [JumpModelDetector(n_init=1, random_state=0)]},
    "tuned": {"base": JumpModelDetector(n_init=1, random_state=0), "grid": {"jump_penalty": [1.0, 10.0]},
              "n_folds": 2},
    "garch": {"min_history": 2},
    "vix_threshold": {"level": 1.0},
}


@pytest.mark.parametrize("name", DETECTORS.names())
def test_check_estimator(name: str) -> None:
    detector = DETECTORS.create(name, **FAST.get(name, {}))
    declared = type(detector).expected_failed_checks
    assert all(isinstance(reason, str) and len(reason) > 20 for reason in declared.values())
    with threadpool_limits(limits=1):
        results = check_estimator(detector, expected_failed_checks=declared, on_skip=None)
    ran = {r["check_name"] for r in results}
    assert set(declared) <= ran, f"declared checks that do not exist: {set(declared) - ran}"
    assert not [r for r in results if r["status"] == "failed"]
    assert len(ran) > 30


def test_bad_input_is_a_value_error_and_a_framework_error() -> None:
    """Errors from bad input are ValueErrors (scikit-learn's convention) and the framework's own error type."""
    from plumbing.errors import FactorRegimesError
    with pytest.raises(ValueError, match="n_samples=3") as info:
        JumpModelDetector(n_states=4).fit([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    assert isinstance(info.value, FactorRegimesError)
