"""Allocators: forecasts (and regimes, risk estimates) to target weights. Registered names:

``static``, ``binary``, ``sign``, ``proportional``, ``mean_variance``,
``risk_parity``, ``vol_target``, ``regime_tilt``, ``regime_switch``.
"""

from allocation.allocators._base import AllocationInputs, Allocator, weight_vector
from allocation.allocators.portfolio import (
    MeanVarianceAllocator,
    RiskParityAllocator,
    VolTargetAllocator,
)
from allocation.allocators.rules import (
    BinaryAllocator,
    ProportionalAllocator,
    RegimeSwitchAllocator,
    RegimeTiltAllocator,
    SignAllocator,
    StaticAllocator,
)
from plumbing.registry import Registry

ALLOCATORS: Registry[Allocator] = Registry("allocator")
for _name, _cls in [("static", StaticAllocator), ("binary", BinaryAllocator), ("sign", SignAllocator),
                    ("proportional", ProportionalAllocator), ("mean_variance", MeanVarianceAllocator),
                    ("risk_parity", RiskParityAllocator), ("vol_target", VolTargetAllocator),
                    ("regime_tilt", RegimeTiltAllocator), ("regime_switch", RegimeSwitchAllocator)]:
    ALLOCATORS.register(_name)(_cls)

__all__ = ["ALLOCATORS", "AllocationInputs", "Allocator", "weight_vector"]
