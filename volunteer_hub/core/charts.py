"""Charts drawn in the browser by Chart.js (from npm, static/vendor/): the server hands over the
numbers as JSON on a canvas; static/charts.js loads Chart.js only on pages that have one. The canvas
is drawn at its displayed size, so labels stay legible on a 390 px phone; its label names the chart
and each page shows the same numbers in a table for screen readers and printing."""
import json

from markupsafe import Markup, escape

PALETTE = ("#b3261e", "#0b57d0", "#1a7f37", "#9a6700")


def bar_chart(title: str, labels: list[str], series: dict[str, list[float]]) -> Markup:
    """Grouped bars, one group per label and one bar per series; the caller shows the numbers beside it."""
    data = {"title": str(title), "labels": [str(label) for label in labels],
            "series": [{"name": str(name), "values": [float(v) for v in values], "colour": PALETTE[i % len(PALETTE)]}
                       for i, (name, values) in enumerate(series.items())]}
    return Markup('<figure class="chart"><canvas role="img" aria-label="{title}" data-chart="{data}"></canvas>'
                  '</figure>').format(title=escape(str(title)), data=json.dumps(data, ensure_ascii=False))
