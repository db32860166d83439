"""Routing-accuracy monitoring: shadow a budgeted sample of cheap answers on the route's strongest
model, after the client has its answer, and judge whether the cheap answer was as good."""

from pointsman.shadow.build import build_monitor
from pointsman.shadow.monitor import ShadowMonitor, VerdictHook

__all__ = ["ShadowMonitor", "VerdictHook", "build_monitor"]
