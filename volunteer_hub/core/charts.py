"""Small server-rendered SVG charts: readable on a phone, no JavaScript, accessible with a data table."""
from xml.sax.saxutils import escape

PALETTE = ("#b3261e", "#0b57d0", "#1a7f37", "#9a6700")


def bar_chart(title: str, labels: list[str], series: dict[str, list[float]], height: int = 220) -> str:
    """Grouped bars, one group per label and one bar per series; the caller shows the numbers beside it."""
    width = max(320, 70 * len(labels) + 60)
    top = max([v for values in series.values() for v in values] + [1])
    plot_h, left, bottom = height - 60, 40, height - 30
    group_w = (width - left - 10) / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#57606a"/>',
             f'<text x="{left - 4}" y="{bottom - plot_h + 4}" font-size="10" text-anchor="end">{top:g}</text>']
    for i, label in enumerate(labels):
        x0 = left + i * group_w + group_w * 0.1
        for j, (name, values) in enumerate(series.items()):
            h = plot_h * values[i] / top
            parts.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{bottom - h:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(name)} {label}: '
                         f'{values[i]:g}</title></rect>')
        parts.append(f'<text x="{x0 + group_w * 0.4:.1f}" y="{bottom + 14}" font-size="11" '
                     f'text-anchor="middle">{escape(label)}</text>')
    for j, name in enumerate(series):
        parts.append(f'<rect x="{left + j * 90}" y="6" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
                     f'<text x="{left + j * 90 + 14}" y="15" font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
