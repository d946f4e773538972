"""The page shell (header, navigation, footer), tables and the site's one stylesheet.

Every page loads ``assets/site.css`` and ``assets/plotly.min.js`` from the site itself: no
script or stylesheet comes from the network, so the pages open offline from disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.dashboard.fmt import Lang, esc, jst
from orchestration.dashboard.reference import area, member_names

# Licences the footer can name and link: id (area.yaml license) -> label, URL ja, URL en, and
# whether it only asks for attribution.
LICENSES = {
    "CC-BY-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/deed.ja",
                  "https://creativecommons.org/licenses/by/4.0/", True),
}

NAV = (
    ("index", "概要", "Overview"),
    ("flows", "人口移動", "Population flows"),
    ("projects", "連携事業・予算", "Projects & budgets"),
    ("scorecards", "市町の KPI", "Members' KPIs"),
    # a large area's member index (pages/members.py)
    ("members", "構成団体", "Members"),
    ("report", "年次効果検証報告", "Annual evaluation report"),
)


@dataclass(frozen=True)
class SiteContext:
    """Release facts printed on every page."""

    release_id: str
    created: str
    validation_passed: bool
    warnings: int
    validation_href: str
    datapackage_href: str
    # The pages this site has (the navigation links only to these): an area without projects
    # has no projects page. None: every page.
    pages: tuple[str, ...] | None = None
    # A page that is reused across releases while its figures stay the same (a member's
    # page): it names the current release rather than the one it was rendered from, and
    # its links reach releases/latest (site.py keys it on everything else it shows).
    latest: bool = False

    def has(self, name: str) -> bool:
        return self.pages is None or name in self.pages


def site_title(lang: Lang) -> str:
    a = area()
    return lang.t(f"{a.name_ja} KPI ダッシュボード", f"{a.name_en} — KPI dashboard")


def sources_line(lang: Lang) -> str:
    """出典: whose submissions, compiled by whom (the area's publisher)."""
    a = area()
    return lang.t(f"出典：{member_names(lang)}の提出データをもとに{a.publisher_ja}が作成",
                  f"Source: {a.publisher_en}, from the submissions of {member_names(lang)}")


def license_html(lang: Lang) -> str:
    known = LICENSES.get(area().license)
    if known is None:
        return esc(area().license) + lang.t("。", ".")
    label, url_ja, url_en, attribution = known
    url = url_ja if lang.code == "ja" else url_en
    free = esc(lang.paren(lang.t("出典を明記すれば自由に利用できます",
                                 "free to reuse with attribution"))) if attribution else ""
    return f'<a rel="license" href="{url}">{esc(label)}</a>\n{free}{lang.t("。", ".")}'


def synthetic_notice(lang: Lang) -> str:
    """A demonstration area (area.yaml ``synthetic: true``) says so on every page."""
    if not area().synthetic:
        return ""
    text = lang.t("この圏域の数値は生成した合成データによる試算です。公式統計ではありません。",
                  "The figures of this area are generated, synthetic data for demonstration; "
                  "they are not official statistics.")
    return f'<p class="empty synthetic">{esc(text)}</p>'


def validation_badge(ctx: SiteContext, lang: Lang) -> str:
    if ctx.validation_passed:
        text = lang.t("品質検査 合格", "Quality gate passed")
        if ctx.warnings:
            text += lang.t(f"（警告 {ctx.warnings} 件）", f" ({ctx.warnings} warning{'s' if ctx.warnings != 1 else ''})")
        cls = "ok"
    else:
        text, cls = lang.t("品質検査 不合格", "Quality gate failed"), "ng"
    return f'<a class="badge {cls}" href="{esc(ctx.validation_href)}">{esc(text)}</a>'


def release_line(ctx: SiteContext, lang: Lang) -> str:
    if ctx.latest:
        return (f'<p class="release">{lang.t("公開中の最新版の数値", "Figures of the current release")}'
                f' · <a href="{lang.page("index")}">'
                f'{lang.t("公開版の番号・日時・品質検査は概要ページ", "release, date and quality gate: see the overview")}'
                "</a></p>")
    return (f'<p class="release">{lang.t("公開版", "Release")} <code>{esc(ctx.release_id)}</code>'
            f' · {lang.t("公開日時", "published")} {esc(jst(ctx.created, lang))}'
            f' · {validation_badge(ctx, lang)}</p>')


def page(*, lang: Lang, name: str, title: str, body: str, ctx: SiteContext,
         subtitle: str = "", with_plotly: bool = True, body_class: str = "",
         head_extra: str = "", nav_key: str | None = None) -> str:
    """A whole HTML page; ``name`` is the page's base name (``index``, ``kpi-<kpi_id>``).

    ``head_extra`` is trusted markup for the head (the report's print footer); ``nav_key``
    the navigation entry the page belongs to, when not its own name (``member-<code>``)."""
    current = nav_key or name
    nav = "".join(
        f'<a href="{lang.page(key)}"{" aria-current=page" if key == current else ""}>'
        f"{esc(lang.t(ja, en))}</a>" for key, ja, en in NAV if ctx.has(key))
    other = lang.other
    switch = (f'<a class="lang" hreflang="{other.code}" href="{other.page(name)}">'
              f'{"English" if other.code == "en" else "日本語"}</a>')
    title_of_site = site_title(lang)
    plotly = '<script src="assets/plotly.min.js"></script>\n' if with_plotly else ""
    return f"""<!doctype html>
<html lang="{lang.code}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} | {esc(title_of_site)}</title>
<link rel="stylesheet" href="assets/site.css">
<link rel="alternate" hreflang="{other.code}" href="{other.page(name)}">
{plotly}{head_extra}</head>
<body class="{esc(body_class)}">
<header class="site"><div class="wrap">
<div class="brand"><a href="{lang.page('index')}">{esc(title_of_site)}</a></div>
<nav>{nav}{switch}</nav></div></header>
<main class="wrap">
<h1>{esc(title)}</h1>
{f'<p class="lead">{subtitle}</p>' if subtitle else ''}
{release_line(ctx, lang)}{synthetic_notice(lang)}
{body}
</main>
<footer class="site"><div class="wrap">
<p>{esc(sources_line(lang))}{lang.t("。ライセンス：", ". Licence: ")}{license_html(lang)}</p>
<p>{_generated_from(ctx, lang)} ·
<a href="{esc(ctx.datapackage_href)}">datapackage.json</a> ·
<a href="{esc(ctx.validation_href)}">{lang.t("品質検査レポート", "validation report")}</a></p>
</div></footer>
</body></html>
"""


def _generated_from(ctx: SiteContext, lang: Lang) -> str:
    if ctx.latest:
        return lang.t("このページは公開中の最新版から自動生成", "Generated from the current release")
    return (f'{lang.t("このページは公開版", "Generated from release")} <code>{esc(ctx.release_id)}</code>'
            f'\n{lang.t("から自動生成", "")}')


def table(headers: list[str], rows: list[list[str]], *, numeric: set[int] | None = None,
          cls: str = "", caption: str = "", empty: str = "データなし") -> str:
    """A table from already-escaped cell HTML; ``numeric`` column indexes align right."""
    numeric = numeric or set()
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{h}</th>'
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{c}</td>'
                         for i, c in enumerate(row)) + "</tr>" for row in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    return (f'<div class="table-scroll"><table class="{cls}">{cap}<thead><tr>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table></div>")


def downloads(release, names: list[str], lang: Lang) -> str:
    links = []
    for name in names:
        if not release.has_file(name):
            continue  # a dataset this area does not publish: no dead link
        href = release.href(f"data/{name}.csv")
        links.append(f'<a class="dl" href="{esc(href)}" download>{esc(name)}.csv</a>'
                     f'<a class="dl alt" href="{esc(release.href(f"data/{name}.parquet"))}" '
                     f"download>.parquet</a>")
    if not links:
        return ""
    label = lang.t("データをダウンロード（CSV は UTF-8 BOM 付き、Excel で開けます）：",
                   "Download the data (CSV is UTF-8 with BOM, opens in Excel): ")
    return f'<p class="downloads">{esc(label)}{" ".join(links)}</p>'


def data_table(title: str, content: str, open_: bool = False) -> str:
    """The table behind a chart, folded under it."""
    return (f'<details class="data"{" open" if open_ else ""}><summary>{esc(title)}</summary>'
            f"{content}</details>")


def no_data(lang: Lang, what: str = "") -> str:
    text = lang.t("データなし", "No data")
    detail = f"（{esc(what)}）" if what and lang.code == "ja" else (f" ({esc(what)})" if what else "")
    return f'<p class="empty">{esc(text)}{detail}</p>'


STYLESHEET = """
:root{--ink:#1d2733;--muted:#5b6673;--line:#d9dee5;--brand:#1f4e79;--bg:#f5f7fa;
--ok:#1b7f3b;--near:#b26a00;--ng:#c0392b;--na:#7b8794}
*{box-sizing:border-box}
html{font-size:15px}
body{margin:0;color:var(--ink);background:#fff;line-height:1.6;
font-family:"Noto Sans CJK JP","Noto Sans JP","Hiragino Sans","Hiragino Kaku Gothic ProN",
"Yu Gothic","Meiryo",system-ui,sans-serif}
a{color:#0b5cad}
.wrap{max-width:1180px;margin:0 auto;padding:0 20px}
header.site{background:var(--brand);color:#fff}
header.site .wrap{display:flex;flex-wrap:wrap;align-items:center;gap:6px 24px;padding:10px 20px}
header.site .brand a{color:#fff;text-decoration:none;font-weight:700;font-size:1.05rem}
header.site nav{display:flex;flex-wrap:wrap;gap:2px 4px;align-items:center}
header.site nav a{color:#dce8f5;text-decoration:none;padding:4px 10px;border-radius:4px}
header.site nav a[aria-current]{background:rgba(255,255,255,.18);color:#fff}
header.site nav a:hover{background:rgba(255,255,255,.12)}
header.site nav a.lang{border:1px solid rgba(255,255,255,.5);margin-left:8px}
h1{font-size:1.55rem;margin:22px 0 4px}
h2{font-size:1.25rem;margin:28px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--brand)}
h3{font-size:1.05rem;margin:20px 0 6px}
.lead{color:var(--muted);margin:2px 0 6px}
.release{font-size:.85rem;color:var(--muted);margin:4px 0 14px}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:.8rem;text-decoration:none}
.badge.ok{background:#e3f3e8;color:var(--ok)} .badge.ng{background:#fbe5e2;color:var(--ng)}
.muted{color:var(--muted)}
small{font-size:.8em}
code{font-size:.85em}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(350px,1fr));gap:16px}
.card{border:1px solid var(--line);border-radius:10px;padding:14px 16px 10px;background:#fff;
display:flex;flex-direction:column}
.card h3{margin:0 0 2px;font-size:1.08rem}
.card h3 a{color:inherit;text-decoration:none}
.card h3 a:hover{text-decoration:underline}
.card .field{font-size:.78rem;color:var(--muted)}
.figure-row{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap;margin:8px 0 2px}
.big{font-size:1.7rem;font-weight:700;letter-spacing:.01em}
.big small{font-size:.9rem;font-weight:400;margin-left:2px}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:1px 10px;margin:6px 0;font-size:.88rem}
dl.facts dt{color:var(--muted)} dl.facts dd{margin:0}
.path{font-size:.8rem;color:var(--muted);margin:4px 0 0}
.path table{border-collapse:collapse;width:100%;margin-top:2px;table-layout:fixed}
.path-label{margin-top:4px}
.panel .path table{max-width:600px}
.path th,.path td{border:1px solid var(--line);padding:1px 4px;text-align:right;font-weight:400}
.path th{background:var(--bg)}
.spark-legend{font-size:.75rem;color:var(--muted)}
.spark-legend span{display:inline-block;width:18px;height:0;margin:0 4px 3px 0;vertical-align:middle}
.sw-actual{border-top:3px solid #1f4e79} .spark-legend span.sw-bar{height:9px;width:10px;background:#9fb3c8} .sw-target{border-top:2px dashed #d9822b;margin-left:10px!important}
.more{margin-top:auto;font-size:.85rem;padding-top:6px}
.mark{display:inline-block;min-width:1.6em;text-align:center;font-weight:700;border-radius:4px;
padding:0 4px}
.mark-ok{color:var(--ok);background:#e3f3e8} .mark-near{color:var(--near);background:#fff1dc}
.mark-ng{color:var(--ng);background:#fbe5e2} .mark-na{color:var(--na);background:#eef1f4}
.outlook{display:inline-block;min-width:1.6em;text-align:center;font-weight:700;border-radius:4px;
padding:0 4px;border:1px solid var(--line)}
.outlook-a{color:var(--ok)} .outlook-b{color:var(--near)} .outlook-c{color:var(--ng)}
.chart{width:100%;min-height:120px}
.panel{border:1px solid var(--line);border-radius:10px;padding:12px 16px;margin:12px 0}
.note{font-size:.85rem;color:var(--muted)}
.empty{color:var(--muted);background:var(--bg);border-radius:6px;padding:10px 14px}
.table-scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.88rem;margin:6px 0}
caption{caption-side:top;text-align:left;font-size:.8rem;color:var(--muted);padding:2px 0}
th,td{border:1px solid var(--line);padding:3px 8px;vertical-align:top}
thead th{background:var(--bg);font-weight:600;position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.group th{background:#e8eef5;text-align:left}
td.c,th.c{text-align:center}
details.data{margin:4px 0 14px}
details.data summary{cursor:pointer;color:#0b5cad;font-size:.9rem}
.downloads{font-size:.85rem}
a.dl{display:inline-block;margin:0 2px 0 6px}
a.dl.alt{margin-left:2px;color:var(--muted)}
.counts span{display:inline-block;margin-right:10px;white-space:nowrap}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:16px}
.matrix td.c{font-size:1rem}
.matrix td.yes{color:var(--brand);background:#eef4fa}
footer.site{margin-top:40px;border-top:1px solid var(--line);background:var(--bg);
font-size:.85rem;color:var(--muted)}
footer.site .wrap{padding:12px 20px}
.kpi-tabs{display:flex;flex-wrap:wrap;gap:4px;margin:8px 0}
.kpi-tabs a{padding:2px 10px;border:1px solid var(--line);border-radius:14px;text-decoration:none;
font-size:.85rem}
.kpi-tabs a[aria-current]{background:var(--brand);color:#fff;border-color:var(--brand)}
/* A large area's member index: search across every member, pages of members. */
.member-search{margin:10px 0;padding:10px 14px;border:1px solid var(--line);border-radius:8px;
background:var(--bg)}
.member-search input{font:inherit;padding:4px 8px;min-width:18em;max-width:100%;
border:1px solid #9aa5b1;border-radius:4px}
.member-results{columns:3 16em;margin:6px 0 0;padding-left:1.2em}
.member-results:empty{display:none}
.pager{margin:8px 0;font-size:.9rem;line-height:2}
.pager a{display:inline-block;min-width:2em;text-align:center;padding:0 4px;
border:1px solid var(--line);border-radius:4px;text-decoration:none}
.pager a[aria-current]{background:var(--brand);color:#fff;border-color:var(--brand)}
/* The annual report: reads on screen, prints on A4. */
.report main{max-width:900px}
.report .keep{break-inside:avoid-page;page-break-inside:avoid}
.report h3.field-head,.report h4{break-after:avoid;page-break-after:avoid}
.report table.eval{width:100%}
.report table.eval td,.report table.eval th{text-align:center}
.report table.eval td.num{text-align:right}
.report table.eval td,.report table.eval th{padding:2px 6px}
.report h4{margin:10px 0 2px;font-size:1rem}
.report .commentary{min-height:2.6em}
.commentary{border:1px solid var(--line);border-radius:6px;padding:6px 10px;min-height:3.2em;
font-size:.88rem;margin:6px 0 4px}
.commentary p{margin:2px 0}
.legend{font-size:.85rem}
table.scorecard td:first-child{white-space:nowrap}
.rate-note{display:block;white-space:normal;max-width:12em;margin-left:auto;font-size:.72rem;
line-height:1.3;color:var(--muted);text-align:right}
@page{size:A4;margin:14mm 12mm 15mm 12mm}
@media print{
  html{font-size:10.5pt}
  header.site nav,.kpi-tabs,details.data summary,.no-print{display:none!important}
  header.site{background:none;color:var(--ink);border-bottom:2px solid var(--brand)}
  header.site .brand a{color:var(--ink)}
  .wrap{max-width:none;padding:0}
  h1{margin-top:8px} h2{break-after:avoid;page-break-after:avoid}
  table{font-size:9pt} thead{display:table-header-group} tr{break-inside:avoid}
  thead th{position:static}
  .chart{break-inside:avoid}
  a{color:inherit;text-decoration:none}
  footer.site{background:none;margin-top:12px}
  /* A KPI's table and its chart each stay whole; the two may sit on consecutive pages,
     which keeps the longer tables (actuals since 2019) from leaving half pages empty. */
  .report .keep{break-inside:avoid;page-break-inside:avoid}
  .print-break{break-before:page;page-break-before:always}
  .report table.eval{font-size:8.5pt} .report table.eval td,.report table.eval th{padding:1px 5px}
  .report h3.field-head{margin:6px 0 0} .report h4{margin:6px 0 0}
  .report .note{margin:2px 0} .report .commentary{margin:2px 0;padding:3px 8px}
}
"""
