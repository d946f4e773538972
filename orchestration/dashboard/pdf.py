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
from dataclasses import dataclass, field
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
    return start_printing(html_path, pdf_path).wait(timeout)


def start_printing(html_path: Path, pdf_path: Path) -> Printing:
    """Start Chromium printing ``html_path`` and return at once: the site's other pages are
    rendered while it prints (issue 15). ``wait()`` gives what ``print_to_pdf`` returns."""
    chromium = find_chromium()
    if not chromium:
        return Printing(pdf_path, skipped=(
            "Chromium が見つからないため report.pdf は作成していません（report.html は作成済み）。"
            " / Chromium not found: report.pdf skipped (report.html written)."))
    # Printed from a copy beside the page, so that its relative assets still resolve.
    source = html_path.with_name(f".print-{html_path.name}")
    source.write_text(printable(html_path.read_text(encoding="utf-8")), encoding="utf-8")
    profile = Path(tempfile.mkdtemp(prefix="kurume-chromium-"))
    printing = Printing(pdf_path, source=source, profile=profile)
    # --no-pdf-header-footer: Chromium's own footer prints the file's URL; the page numbers
    # and the release come from the page's CSS (@page margin boxes).
    argv = [chromium, *QUIET_FLAGS, f"--user-data-dir={profile}",
            "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
            f"--print-to-pdf={pdf_path}", source.resolve().as_uri()]
    try:
        # stderr to a file: nobody reads a pipe while the pages render, and a full pipe
        # would stop Chromium.
        with open(profile / "stderr.txt", "wb") as stderr:
            printing.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr,
                                                stdin=subprocess.DEVNULL)
    except OSError as exc:
        printing.skipped = _failed(exc)
        printing.clean_up()
    return printing


def _failed(reason) -> str:
    return f"Chromium で report.pdf を作成できませんでした / PDF failed: {reason}"


@dataclass
class Printing:
    """One Chromium printing a page to PDF (or the reason it was not started)."""

    pdf_path: Path
    skipped: str | None = None
    source: Path | None = None
    profile: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    def wait(self, timeout: float = 90) -> str | None:
        if self.process is None:
            return self.skipped
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.process.kill()
            self.process.wait()
            self.clean_up()
            return _failed(exc)
        stderr = (self.profile / "stderr.txt").read_text(encoding="utf-8", errors="replace")
        self.clean_up()
        code, pdf = self.process.returncode, self.pdf_path
        if code != 0 or not pdf.exists() or pdf.stat().st_size == 0:
            tail = (stderr or "").strip().splitlines()[-3:]
            return (f"Chromium で report.pdf を作成できませんでした（終了コード {code}） / "
                    f"PDF failed: {' | '.join(tail)}")
        return None

    def cancel(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.clean_up()

    def clean_up(self) -> None:
        if self.source is not None:
            self.source.unlink(missing_ok=True)
        if self.profile is not None:
            shutil.rmtree(self.profile, ignore_errors=True)
