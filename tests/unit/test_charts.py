"""The overview's SVG charts: right numbers in the marks, names escaped, small series grouped."""
from __future__ import annotations

import re

from bot.web.charts import bars, coverage_grid, stacked_columns
from knowledge.coverage import Cell


def _titles(svg: str) -> list:
    return re.findall(r"<title>(.*?)</title>", svg)


def test_bars_are_proportional_and_names_are_escaped():
    svg = str(bars([("<script>x</script>", 40), ("江苏省", 10)], "按省份"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[0] == 4 * widths[1]
    assert _titles(svg)[1] == "江苏省：10"


def test_months_stack_the_commonest_topics_and_group_the_rest():
    months = [("2026-01", {f"t{i}": i + 1 for i in range(7)}), ("2026-02", {"t6": 3})]
    svg = str(stacked_columns(months, "每月"))
    titles = _titles(svg)
    # Five named series (t6 … t2, the commonest), the two smallest as 其他 (1 + 2 = 3).
    assert "2026-01 其他：3" in titles and "2026-01 t6：7" in titles and "2026-02 t6：3" in titles
    assert ">28<" in svg  # the January total above its column
    assert not stacked_columns([], "每月")


def test_the_coverage_grid_marks_each_gap():
    table = {"江苏省": {"产假": Cell(True, "158天"), "社平工资": Cell(False)}}
    svg = str(coverage_grid(table, "覆盖"))
    assert svg.count('class="gap"') == 1 and "江苏省 产假：158天" in _titles(svg)
