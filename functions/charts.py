"""Server-rendered charts: geometry for small SVG pictures the templates draw (no script, no chart
library). Numbers on axes are formatted for the reader's language; the template gives each chart a
title and a description in that language, so screen readers get the same story."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from functions.i18n import fmt_percent
from functions.messages import Lang
from shared.domain.quality import CalibrationBand

WIDTH, HEIGHT = 360, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 40
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Tick:
    position: float  # px along the axis
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    r: float
    title: str  # what a tooltip and a screen reader say


@dataclass(frozen=True)
class CalibrationChart:
    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    diagonal: tuple[float, float, float, float]
    points: list[Point]
    line: str  # polyline through the points, in band order


def _x(percent: float) -> float:
    return LEFT + PLOT_W * percent / 100


def _y(rate: float) -> float:
    return TOP + PLOT_H * (1 - rate)


def calibration_chart(
    bands: tuple[CalibrationBand, ...] | list[CalibrationBand], *, lang: Lang, title: str
) -> CalibrationChart:
    """Predicted probability (x, 0–100 %) against the share actually won (y): a perfectly
    calibrated model sits on the diagonal. Each band with deals is a dot sized by its count.
    ``title`` is the per-point text pattern with ``{predicted}``, ``{won}`` and ``{deals}``."""
    ticks = [0, 20, 40, 60, 80, 100]
    largest = max((b.deals for b in bands), default=1) or 1
    points = []
    for band in bands:
        if band.deals == 0 or band.mean_predicted is None or band.win_rate is None:
            continue
        points.append(
            Point(
                x=round(_x(float(band.mean_predicted)), 1),
                y=round(_y(float(band.win_rate)), 1),
                r=round(3 + 7 * math.sqrt(band.deals / largest), 1),
                title=title.format(
                    predicted=fmt_percent(band.mean_predicted.quantize(Decimal("0.1")), lang),
                    won=fmt_percent((band.win_rate * 100).quantize(Decimal("0.1")), lang),
                    deals=band.deals,
                ),
            )
        )
    return CalibrationChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        plot_w=PLOT_W,
        plot_h=PLOT_H,
        x_ticks=[Tick(_x(t), fmt_percent(t, lang)) for t in ticks],
        y_ticks=[Tick(_y(t / 100), fmt_percent(t, lang)) for t in ticks],
        diagonal=(_x(0), _y(0), _x(100), _y(1)),
        points=points,
        line=" ".join(f"{p.x},{p.y}" for p in points),
    )


def bar_width(rate: Decimal | None, *, full: int = 120) -> int:
    """The length of a win-rate bar (0–1) in px."""
    return 0 if rate is None else round(full * float(rate))
