"""Bitrix24's REST limits: the leaky bucket and the per-method operating time.

Both run on the emulator's clock, so tests move time by hand. The numbers are
those of the REST documentation (`limits.md`): the bucket drains 2 requests a
second and blocks above 50 (Enterprise: 5 and 250); a method that used more
than 480 s of execution in the last 10 minutes is blocked until its oldest
seconds drop out of the window.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import ControlError

#: Operating time is summed over a sliding window of ten minutes.
OPERATING_WINDOW = 600.0

#: Drain rate and block threshold of each plan; only Enterprise differs.
PLANS: dict[str, tuple[float, int]] = {
    "free": (2.0, 50),
    "basic": (2.0, 50),
    "standard": (2.0, 50),
    "professional": (2.0, 50),
    "enterprise": (5.0, 250),
}

#: Plans on which `auth_connector` keeps an app's own writes out of the
#: offline queue ("the Pro plan and above").
CONNECTOR_PLANS = frozenset({"professional", "enterprise"})


@dataclass(frozen=True)
class LimitSettings:
    """How one portal limits REST calls, and what its plan allows.

    `operating_cost` is the execution time one call costs (None: the time the
    emulator really spent); `operating_costs` overrides it per method.
    """

    plan: str = "professional"
    bucket: bool = True
    rate: float = 2.0
    block: int = 50
    operating_cost: float | None = None
    operating_costs: dict[str, float] = field(default_factory=dict)
    operating_threshold: float = 480.0
    auth_connector: bool = True

    def changed(self, changes: Mapping[str, Any]) -> LimitSettings:
        """A copy with `changes`; raises ControlError 400 for bad ones.

        `plan` first sets rate, block and auth_connector to the plan's values;
        explicit keys in the same change win.
        """
        values = dataclasses.asdict(self)
        if "plan" in changes:
            values.update(_plan_values(changes["plan"]))
        for key, value in changes.items():
            values[key] = _checked(key, value)
        return LimitSettings(**values)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def cost_of(self, method: str) -> float | None:
        return self.operating_costs.get(method, self.operating_cost)


def _plan_values(plan: Any) -> dict[str, Any]:
    if plan not in PLANS:
        raise ControlError(400, f"plan must be one of {', '.join(PLANS)}")
    rate, block = PLANS[plan]
    return {"rate": rate, "block": block, "auth_connector": plan in CONNECTOR_PLANS}


def _checked(key: str, value: Any) -> Any:
    if key in ("bucket", "auth_connector"):
        return _flag(key, value)
    if key in ("rate", "operating_threshold"):
        return _positive(key, value)
    if key == "block":
        return int(_positive(key, value))
    if key == "operating_cost":
        return None if value is None else _positive(key, value, zero=True)
    if key == "operating_costs":
        return _costs(value)
    if key == "plan":
        return value
    raise ControlError(400, f"unknown limit setting: {key}")


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ControlError(400, f"{key} must be true or false")
    return value


def _positive(key: str, value: Any, zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(400, f"{key} must be a number")
    if value < 0 or (value == 0 and not zero):
        raise ControlError(400, f"{key} must be positive")
    return float(value)


def _costs(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ControlError(400, "operating_costs must map methods to seconds")
    return {
        str(method).lower(): _positive("operating_costs", seconds, zero=True)
        for method, seconds in value.items()
    }


class LeakyBucket:
    """A request counter that drains `rate` a second and blocks above `block`.

    A refused request does not fill the bucket, so a client that backs off
    gets through as soon as the counter has drained below the threshold.
    """

    def __init__(self) -> None:
        self._level = 0.0
        self._updated: float | None = None

    def admit(self, rate: float, block: int, now: float) -> bool:
        """Count one request at `now`; False if it would overflow the bucket."""
        self._drain(rate, now)
        if self._level + 1 > block:
            return False
        self._level += 1
        return True

    def level(self, rate: float, now: float) -> float:
        self._drain(rate, now)
        return self._level

    def _drain(self, rate: float, now: float) -> None:
        if self._updated is not None and now > self._updated:
            self._level = max(0.0, self._level - rate * (now - self._updated))
        if self._updated is None or now > self._updated:
            self._updated = now


class OperatingMeter:
    """Execution seconds each method of one portal used in the last 10 minutes.

    Spending is kept per whole second, so a method's memory stays below 600
    entries however busy it is.
    """

    def __init__(self) -> None:
        self._spent: dict[str, deque[list[float]]] = {}

    def add(self, method: str, at: float, seconds: float) -> None:
        spent = self._spent.setdefault(method, deque())
        second = float(int(at))
        if spent and spent[-1][0] == second:
            spent[-1][1] += seconds
        else:
            spent.append([second, seconds])

    def report(self, method: str, now: float) -> tuple[float, int]:
        """`(operating, operating_reset_at)` of `method` at `now`."""
        spent = self._spent.get(method)
        if not spent:
            return 0.0, int(now + OPERATING_WINDOW)
        while spent and spent[0][0] <= now - OPERATING_WINDOW:
            spent.popleft()
        oldest = spent[0][0] if spent else now
        return sum(seconds for _, seconds in spent), int(oldest + OPERATING_WINDOW)
