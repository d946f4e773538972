"""``report.pdf`` from ``report.html`` with headless Chromium (Debian's ``chromium``).

Chromium is optional at build time: without it the HTML report is still written and the
build goes on (a warning says the PDF was skipped). ``KURUME_HUB_CHROMIUM`` names a binary.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# The machine has no network: without these Chromium keeps trying to reach Google's hosts.
QUIET_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
               "--disable-default-apps", "--disable-extensions", "--mute-audio",
               "--hide-scrollbars")


# A link without a scheme points into the site (index.html, ../releases/…): in a PDF it
# would become file:///<home>/.site-<uuid>/index.html, a local path of this machine and
# dead for every reader. Web links (the licence) keep their href.
LOCAL_HREF = re.compile(r'(<a\b[^>]*?)\s+href="(?![A-Za-z][A-Za-z0-9+.-]*:)[^"]*"', re.I)


def printable(html: str) -> str:
    """The page as it goes into the PDF: the same, without links to local files."""
    return LOCAL_HREF.sub(r"\1", html)


def find_chromium() -> str | None:
    explicit = os.environ.get("KURUME_HUB_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() or shutil.which(explicit) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_to_pdf(html_path: Path, pdf_path: Path, timeout: float = 90) -> str | None:
    """Write ``pdf_path``; returns None on success, else why the PDF was not made."""
    chromium = find_chromium()
    if not chromium:
        return ("Chromium が見つからないため report.pdf は作成していません（report.html は作成済み）。"
                " / Chromium not found: report.pdf skipped (report.html written).")
    # Printed from a copy beside the page, so that its relative assets still resolve.
    source = html_path.with_name(f".print-{html_path.name}")
    source.write_text(printable(html_path.read_text(encoding="utf-8")), encoding="utf-8")
    # --no-pdf-header-footer: Chromium's own footer prints the file's URL; the page numbers
    # and the release come from the page's CSS (@page margin boxes).
    try:
        with tempfile.TemporaryDirectory(prefix="kurume-chromium-") as profile:
            argv = [chromium, *QUIET_FLAGS, f"--user-data-dir={profile}",
                    "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
                    f"--print-to-pdf={pdf_path}", source.resolve().as_uri()]
            try:
                result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                        stdin=subprocess.DEVNULL)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"Chromium で report.pdf を作成できませんでした / PDF failed: {exc}"
    finally:
        source.unlink(missing_ok=True)
    if result.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        tail = (result.stderr or "").strip().splitlines()[-3:]
        return (f"Chromium で report.pdf を作成できませんでした（終了コード {result.returncode}） / "
                f"PDF failed: {' | '.join(tail)}")
    return None
