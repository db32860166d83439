"""`pointsman eval --plot`: the curves of every policy, as a PNG.

matplotlib is an optional extra (`pointsman[plot]`): the gateway never needs it. Drawn through
matplotlib's object API (Figure + the Agg canvas), not pyplot, so no global figure state is touched.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import ConfigError

EXTRA = "pip install 'pointsman[plot]'"
LEARNED = "learned"
"""The router being judged: drawn on top, thicker, so the baselines frame it."""


def require() -> None:
    """Fail before any work when the plot could not be drawn."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ConfigError(f"--plot needs matplotlib, an optional extra: {EXTRA}") from None


def _figure(columns: int) -> Any:
    require()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.5 * columns, 5.0), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _style(name: str) -> dict[str, Any]:
    if name == LEARNED:
        return {"linewidth": 2.6, "zorder": 5, "marker": "o", "markersize": 3}
    if name == "oracle":
        return {"linestyle": ":", "linewidth": 1.4}
    if name == "random":
        return {"linestyle": "--", "linewidth": 1.2, "color": "grey"}
    return {"linewidth": 1.4}


def _draw(ax: Any, result: dict[str, Any], x: str, scale: float) -> None:
    for name, policy in result["policies"].items():
        points = policy["curve"]
        xs = [p[x] * scale for p in points]
        ys = [p["quality"] for p in points]
        if len(points) == 1:
            ax.scatter(xs, ys, label=name, marker="s", zorder=4)
        else:
            ax.plot(xs, ys, label=name, **_style(name))
    if x == "cost":
        for model, point in result["models"].items():
            ax.scatter([point["cost"] * scale], [point["quality"]], color="black", marker="x", zorder=6)
            ax.annotate(model, (point["cost"] * scale, point["quality"]), fontsize=7,
                        textcoords="offset points", xytext=(4, -10))  # fmt: skip
    ax.set_ylabel("quality (mean score)")
    ax.grid(alpha=0.3)


def plot(result: dict[str, Any], out: str) -> None:
    """Pair: quality against the strong model's share of calls, and against cost. Many: quality
    against cost, single models marked. Costs in USD per 1,000 prompts."""
    pair = result["mode"] == "pair"
    figure = _figure(2 if pair else 1)
    axes = figure.subplots(1, 2) if pair else [figure.subplots()]
    if pair:
        _draw(axes[0], result, "strong_share", 1.0)
        axes[0].set_xlabel(f"share of calls to {result['strong']}")
        axes[0].set_title(f"{result['strong']} vs {result['weak']}")
    _draw(axes[-1], result, "cost", 1000.0)
    axes[-1].set_xlabel("cost, USD per 1,000 prompts")
    costs = [p["cost"] for policy in result["policies"].values() for p in policy["curve"]]
    if not pair and costs and min(costs) > 0 and max(costs) > 20 * min(costs):
        axes[-1].set_xscale("log")  # many models' prices span orders of magnitude
        axes[-1].set_xlabel("cost, USD per 1,000 prompts (log scale)")
    axes[-1].set_title("quality against cost" if pair else f"{len(result['models'])} models")
    axes[-1].legend(fontsize=8, loc="lower right")
    try:
        figure.savefig(out, dpi=110)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot write the plot: {exc.strerror}") from None
