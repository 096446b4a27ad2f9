"""Regime detectors: one estimator contract, causal (filtered) outputs, canonical state order.

Registered names (YAML ``detectors: [{name: hmm, ...}]``):

========================  ==================================================
``hmm``                   Gaussian HMM (hmmlearn fit, own forward filter)
``jump``                  statistical jump model, causal online labels
``cjm``                   continuous jump model (probability-vector states)
``sjm``                   sparse jump model (feature weights, sparsity budget)
``tuned``                 a base detector tuned in each training window
``changepoint``           ruptures, re-segmenting the data seen so far
``bocpd``                 Bayesian online change-point detection
``garch``                 GJR-GARCH(1,1) one-step-ahead volatility (arch)
``vix_threshold``         VIX above a level or its expanding quantile
``markov_switching``      statsmodels Markov-switching, Hamilton filter
``ensemble``              average of member probabilities
========================  ==================================================
"""

from plumbing.registry import Registry
from regimes.detectors._base import RegimeDetector, forward_filter, rank_to_proba
from regimes.detectors.bocpd import BOCPDDetector
from regimes.detectors.changepoint import ChangePointDetector
from regimes.detectors.cjm import ContinuousJumpModelDetector
from regimes.detectors.ensemble import EnsembleDetector
from regimes.detectors.garch import GarchDetector
from regimes.detectors.hmm import GaussianHMMDetector
from regimes.detectors.jump import JumpModelDetector
from regimes.detectors.markov_switching import MarkovSwitchingDetector
from regimes.detectors.sjm import SparseJumpModelDetector
from regimes.detectors.tuned import TunedDetector
from regimes.detectors.vix_threshold import VixThresholdDetector

DETECTORS: Registry[RegimeDetector] = Registry("detector")
for _name, _cls in [("hmm", GaussianHMMDetector), ("jump", JumpModelDetector), ("changepoint", ChangePointDetector),
                    ("bocpd", BOCPDDetector), ("garch", GarchDetector), ("vix_threshold", VixThresholdDetector),
                    ("markov_switching", MarkovSwitchingDetector), ("ensemble", EnsembleDetector),
                    ("cjm", ContinuousJumpModelDetector), ("sjm", SparseJumpModelDetector), ("tuned", TunedDetector)]:
    DETECTORS.register(_name)(_cls)

__all__ = ["DETECTORS", "BOCPDDetector", "ChangePointDetector", "ContinuousJumpModelDetector", "EnsembleDetector",
           "GarchDetector", "GaussianHMMDetector", "JumpModelDetector", "MarkovSwitchingDetector", "RegimeDetector",
           "SparseJumpModelDetector", "TunedDetector", "VixThresholdDetector", "forward_filter", "rank_to_proba"]
