"""plotly figures for the pages, and the small HTML that places one on a page.

Figures carry no plotly template (the default one adds ~8 KB of JSON per chart) and are
written as one ``Plotly.newPlot`` call against the site's shared ``assets/plotly.min.js``.
Each chart div has the class ``chart`` so the browser tests can check it rendered.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio

from orchestration.dashboard.fmt import Lang, Unit, year_label
from orchestration.dashboard.reference import members

FONT = ('"Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Hiragino Kaku Gothic ProN", '
        '"Yu Gothic", Meiryo, sans-serif')
ACTUAL = "#1f4e79"
TARGET = "#d9822b"
BASELINE = "#7b8794"
MEMBER_COLORS = ("#1f4e79", "#4e9bd1", "#2a9d8f", "#e9c46a", "#e76f51", "#9b6fb0", "#8ab17d",
                 "#f4a261", "#5e548e", "#bc4749")
# Counterpart groups outside the area, in the area's order (near to far); "other" is grey.
GROUP_COLORS = ("#e76f51", "#e9c46a", "#9b6fb0", "#2a9d8f", "#7b8794", "#6d597a", "#c9a227")
OTHER_COLOR = "#b0b8c1"


def member_color(code: str) -> str:
    codes = [m.code for m in members()]
    return MEMBER_COLORS[codes.index(code) % len(MEMBER_COLORS)] if code in codes else "#999"


def group_color(index: int, key: str) -> str:
    """The colour of the index-th counterpart group of the area."""
    if key == "other":
        return OTHER_COLOR
    return GROUP_COLORS[index % len(GROUP_COLORS)]


def layout(lang: Lang, *, height: int, title: str = "", y_title: str = "", x_title: str = "",
           legend: bool = True, margin: dict | None = None, **extra) -> dict:
    base = dict(
        height=height,
        font={"family": FONT, "size": 13, "color": "#1d2733"},
        paper_bgcolor="white", plot_bgcolor="white",
        margin=margin or {"l": 64, "r": 16, "t": 44 if title else 16, "b": 40},
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "xanchor": "left",
                "bgcolor": "rgba(255,255,255,0.8)", "traceorder": "normal"},
        hoverlabel={"font": {"family": FONT}},
        separators=".,",
        xaxis={"showgrid": False, "linecolor": "#9aa5b1", "ticks": "outside",
               "tickcolor": "#9aa5b1", "title": {"text": x_title}, "automargin": True},
        yaxis={"gridcolor": "#e6e9ed", "zerolinecolor": "#9aa5b1", "tickformat": ",~f",
               "title": {"text": y_title}, "automargin": True, "rangemode": "tozero"},
    )
    if title:
        base["title"] = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}}
        base["legend"]["y"] = 1.02
    if y_title and lang.code == "ja":
        # Japanese reads badly rotated: the unit sits level above the axis, as in print.
        text = f"（{y_title}）"
        base["yaxis"]["title"] = {"text": ""}
        base["margin"]["l"] = max(base["margin"]["l"], 13 * len(text) + 8)
        extra = {**extra, "annotations": [
            *extra.get("annotations", []),
            {"text": text, "xref": "paper", "yref": "paper", "x": 0, "y": 1, "xanchor": "right",
             "yanchor": "bottom", "xshift": -2, "yshift": 4, "showarrow": False,
             "font": {"size": 12, "color": "#5b6673"}}]}
    base.update(extra)
    return base


def figure(data: list, layout_: dict) -> go.Figure:
    return go.Figure(data=data, layout=layout_)


def figure_div(fig: go.Figure, div_id: str, *, interactive: bool = True, modebar: bool = True,
               width: int | None = None, label: str = "") -> str:
    """A chart div and the script that draws it (plotly.js is loaded once per page)."""
    spec = json.loads(pio.to_json(fig, validate=True))
    spec["layout"].pop("template", None)
    config = {"displaylogo": False, "responsive": width is None,
              "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"]}
    if not modebar:
        config["displayModeBar"] = False
    if not interactive:
        config.update({"staticPlot": True, "displayModeBar": False})
    if width:
        spec["layout"]["width"] = width
    height = spec["layout"].get("height", 400)
    data = json.dumps(spec["data"], ensure_ascii=False, separators=(",", ":"))
    lay = json.dumps(spec["layout"], ensure_ascii=False, separators=(",", ":"))
    conf = json.dumps(config, separators=(",", ":"))
    script = f'Plotly.newPlot("{div_id}",{data},{lay},{conf});'.replace("</", "<\\/")
    aria = f' role="img" aria-label="{label}"' if label else ""
    style = f"height:{height}px" + (f";width:{width}px" if width else "")
    return (f'<div id="{div_id}" class="chart" style="{style}"{aria}></div>'
            f"<script>{script}</script>")


def hover(unit: Unit, lang: Lang, name: str) -> str:
    sep = "" if lang.code == "ja" else " "
    return f"%{{x}}: %{{y:,.6~f}}{sep}{unit.label(lang)}<extra>{name}</extra>"


def year_ticks(years: list[int], period_type: str, lang: Lang) -> dict:
    """Whole years on the x axis, labelled 2023年 / 2023年度 (or 2023 / FY2023)."""
    years = sorted(set(years))
    return {"tickmode": "array", "tickvals": years,
            "ticktext": [year_label(y, period_type, lang) for y in years]}
