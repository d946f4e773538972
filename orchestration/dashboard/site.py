"""The static dashboard in ``site/``, built from ``releases/latest`` only.

plotly.js is shipped once in ``site/assets/`` and referenced by every page: no CDN, the
pages open from disk with no network.
"""

from __future__ import annotations

import csv
import html
import json
import os
import shutil
import uuid
from pathlib import Path

import pandas as pd

from orchestration.home import DBT_PROJECT_DIR, Home

# Display units of the reference table -> factor to base units.
DISPLAY_UNIT_FACTORS = {"億円": 1e8, "千人": 1e3, "人": 1.0, "件": 1.0}


def kpi_definitions() -> dict[str, dict]:
    path = DBT_PROJECT_DIR / "seeds" / "regional_kpi_definitions.csv"
    with path.open(encoding="utf-8") as fh:
        return {row["kpi_id"]: row for row in csv.DictReader(fh)}


def display_factor(unit_text: str) -> float:
    return DISPLAY_UNIT_FACTORS.get(unit_text.split(" ")[0], 1.0)


def target_path(definition: dict) -> list[tuple[int, float]] | None:
    """Baseline -> final target as (year, value in base units), linear in between."""
    if not definition["baseline_value"] or not definition["baseline_period"]:
        return None
    factor = display_factor(definition["unit"])
    start = int(definition["baseline_period"][2:6])
    end = int(definition["target_period"][2:6])
    base = float(definition["baseline_value"]) * factor
    goal = float(definition["target_value"]) * factor
    return [(y, base + (goal - base) * (y - start) / (end - start)) for y in range(start, end + 1)]


def _tourism_figure(kpis: pd.DataFrame, definition: dict):
    import plotly.graph_objects as go

    rows = kpis[kpis["kpi_id"] == "tourist_visitors"].sort_values("period_year")
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=rows["period_year"], y=rows["value"] / 1000, mode="lines+markers", name="実績",
        hovertemplate="%{x}年: %{y:,.0f} 千人<extra>実績</extra>"))
    path = target_path(definition)
    if path:
        fig.add_trace(go.Scatter(
            x=[y for y, _ in path], y=[v / 1000 for _, v in path], mode="lines",
            name="目標経路（ビジョン）", line={"dash": "dash"},
            hovertemplate="%{x}年: %{y:,.0f} 千人<extra>目標</extra>"))
    fig.update_layout(
        title="観光入込客数（圏域・暦年）", xaxis_title="年", yaxis_title="千人",
        template="plotly_white", height=420, margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.2}, separators=".,")
    fig.update_xaxes(dtick=1)
    fig.update_yaxes(tickformat=",.0f")
    return fig


def _figure_div(fig, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def build_site(home: Home) -> Path:
    """Regenerate the whole site next to the old one, then swap it in."""
    latest = home.latest.resolve()
    release_id = os.readlink(home.latest)
    kpis = pd.read_csv(latest / "data" / "regional_kpis.csv", encoding="utf-8-sig",
                       dtype={"kpi_id": str, "period": str})
    package = json.loads((latest / "datapackage.json").read_text(encoding="utf-8"))
    validation = json.loads((latest / "validation" / "results.json").read_text(encoding="utf-8"))
    definitions = kpi_definitions()

    work = home.root / f".site-{uuid.uuid4().hex}"
    (work / "assets").mkdir(parents=True)
    write_plotly_js(work / "assets" / "plotly.min.js")
    figure = _figure_div(_tourism_figure(kpis, definitions["tourist_visitors"]), "tourism")
    (work / "index.html").write_text(
        render_index(release_id, package, validation, kpis, figure), encoding="utf-8")
    old = home.root / f".site-old-{uuid.uuid4().hex}"
    if home.site.exists():
        os.replace(home.site, old)
    os.replace(work, home.site)
    shutil.rmtree(old, ignore_errors=True)
    return home.site / "index.html"


def write_plotly_js(target: Path) -> None:
    from plotly.offline import get_plotlyjs

    target.write_text(get_plotlyjs(), encoding="utf-8")


def _table(kpis: pd.DataFrame) -> str:
    rows = kpis[kpis["kpi_id"] == "tourist_visitors"].sort_values("period_year")
    body = "".join(
        f"<tr><td>{html.escape(r.period)}</td><td class='num'>{r.value:,.0f}</td>"
        f"<td>{r.members_reporting}</td></tr>" for r in rows.itertuples())
    return ("<table><thead><tr><th>期間</th><th>観光入込客数（人）</th><th>集計市町数</th></tr>"
            f"</thead><tbody>{body}</tbody></table>")


def render_index(release_id: str, package: dict, validation: dict, kpis: pd.DataFrame,
                 figure: str) -> str:
    status = "合格" if validation.get("passed") else "不合格"
    rel = f"../releases/{html.escape(release_id)}"
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>久留米広域連携中枢都市圏 KPI ダッシュボード</title>
<script src="assets/plotly.min.js"></script>
<style>
body{{font-family:"Noto Sans CJK JP","Hiragino Sans","Yu Gothic",sans-serif;margin:0;color:#222}}
header{{background:#1f4e79;color:#fff;padding:16px 24px}} header h1{{margin:0;font-size:1.4em}}
main{{padding:16px 24px;max-width:1100px}} .card{{border:1px solid #ddd;border-radius:8px;padding:16px;margin:16px 0}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ddd;padding:4px 10px}} .num{{text-align:right}}
footer{{padding:16px 24px;color:#555;font-size:.9em;border-top:1px solid #ddd}}
</style></head>
<body>
<header><h1>久留米広域連携中枢都市圏 KPI ダッシュボード</h1>
<div>Kurume regional hub city area — regional KPI dashboard</div></header>
<main>
<p>公開版 / release: <code>{html.escape(release_id)}</code>
　公開日時: {html.escape(package.get("created", ""))}
　品質検査: <a href="{rel}/validation/index.html">{status}</a></p>
<section class="card" id="kpi-tourist_visitors">
<h2>観光入込客数 <small>Tourist visitors</small></h2>
<p>基準値 9,028千人（2023年）→ 目標 10,700千人（2030年）。各市町の暦年の観光入込客数の合計。</p>
{figure}
{_table(kpis)}
<p><a href="{rel}/data/regional_kpis.csv">regional_kpis.csv をダウンロード</a></p>
</section>
</main>
<footer>出典：久留米市・大川市・小郡市・うきは市・大刀洗町・大木町の提出データ（事務局：久留米市）。
ライセンス：<a href="https://creativecommons.org/licenses/by/4.0/deed.ja">CC BY 4.0</a>。
データ: <a href="{rel}/datapackage.json">datapackage.json</a></footer>
</body></html>
"""
