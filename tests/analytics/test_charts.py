"""The line charts' y axis: one scale per chart, ticks at round values, labelled with them."""

from __future__ import annotations

import re

from analytics import charts


def test_axis_ticks_are_round_steps_up_to_the_largest_value():
    assert charts.axis_ticks([0, 3, 7]) == [0, 2, 4, 6, 8]
    assert charts.axis_ticks([120, 40]) == [0, 50, 100, 150]
    assert charts.axis_ticks([100]) == [0, 25, 50, 75, 100]
    assert charts.axis_ticks([9.5]) == [0, 2.5, 5, 7.5, 10]
    assert charts.axis_ticks([0.8, 0.1]) == [0, 0.2, 0.4, 0.6, 0.8]
    assert charts.axis_ticks([3]) == [0, 1, 2, 3]  # whole counts: no half steps
    assert charts.axis_ticks([]) == [0, 1] and charts.axis_ticks([0, 0]) == [0, 1]


def _points(svg: str) -> list[list[tuple[float, float]]]:
    return [[tuple(map(float, pair.split(","))) for pair in line.split()]
            for line in re.findall(r'<polyline points="([^"]+)"', svg)]


def test_series_share_one_scale_with_labelled_ticks():
    svg = str(charts.line_chart(chart_id="c", title="Visits and orders", description="d", labels=["a", "b"],
                                series=[charts.Series("Visits", [40, 80]), charts.Series("Orders", [2, 4])]))
    ticks = re.findall(r'class="chart-tick"[^>]*>([^<]+)<', svg)
    assert ticks == ["0", "20", "40", "60", "80"]
    visits, orders = _points(svg)
    plot_bottom, plot_top = charts.HEIGHT - charts.BOTTOM, charts.TOP
    assert visits[1][1] == plot_top  # 80 is the top tick
    assert visits[0][1] == (plot_top + plot_bottom) / 2  # 40: half way
    # 4 orders on the same scale as 80 visits: a twentieth of the height, not the top of the chart
    assert orders[1][1] == round(plot_bottom - (plot_bottom - plot_top) * 4 / 80, 1)
    assert "(max" not in svg
