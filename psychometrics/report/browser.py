"""Look at a written report in a real browser (headless Chromium): page measurements for tests and one
screenshot per section for review (docs/screenshots/).

Chromium is looked up on PATH (``chromium``, ``chromium-browser``, ``google-chrome``); :func:`find_chromium`
returns None where there is none, and callers skip with that reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["find_chromium", "page_metrics", "section_screenshots"]

_BROWSERS = ("chromium", "chromium-browser", "google-chrome")

# Written into the page's title by a script added to a copy of the page, read back from the dumped DOM.
_MEASURE = """<script>
document.title = JSON.stringify({
  font: getComputedStyle(document.body).fontFamily,
  page_width: document.documentElement.scrollWidth,
  window_width: window.innerWidth,
  folded: document.querySelectorAll("details").length,
  sections: Array.from(document.querySelectorAll("section")).map(s => s.id)
});
</script>"""


def find_chromium() -> str | None:
    """The path of a Chromium-like browser, or None."""
    return next((path for path in map(shutil.which, _BROWSERS) if path), None)


def _run(browser: str, args: list[str], timeout: float) -> str:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True).stdout


def page_metrics(html_path, *, width: int = 800, timeout: float = 60) -> dict:
    """What the browser computed for the page at ``width`` pixels: the body's font family, the page's scroll
    width and the window width (wider means the page overflows sideways), the number of folded blocks
    (<details>) and the section ids."""
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("no Chromium browser on PATH")
    html = Path(html_path).read_text(encoding="utf-8").replace("</body>", _MEASURE + "</body>")
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "page.html"
        page.write_text(html, encoding="utf-8")
        dom = _run(browser, [f"--window-size={width},900", "--dump-dom", page.as_uri()], timeout)
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    return json.loads(title.group(1).replace("&quot;", '"').replace("&amp;", "&")) if title else {}


def _trimmed(image):
    """The image without the white rows below its content (16 pixels kept)."""
    from PIL import Image, ImageChops

    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    return image if box is None else image.crop((0, 0, image.width, min(image.height, box[3] + 16)))


def section_screenshots(
    html_path, out_dir, *, width: int = 800, height: int = 6000, colours: int = 64, timeout: float = 60
) -> list[Path]:
    """One PNG per section of the report (``<section id=...>``, the others hidden), ``width`` pixels wide and
    at most ``height`` high (white below the section trimmed), reduced to ``colours`` colours to keep the files
    small; returns the files written."""
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("no Chromium browser on PATH")
    from PIL import Image

    html = Path(html_path).read_text(encoding="utf-8")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as folder:
        for section in re.findall(r'<section id="([^"]+)">', html):
            hide = (
                f"<style>body > *:not(#{section}) {{ display: none !important; }} details {{ display: block; }}</style>"
            )
            page = Path(folder) / f"{section}.html"
            page.write_text(html.replace("</head>", hide + "</head>"), encoding="utf-8")
            png = out / f"{section}.png"
            _run(browser, [f"--window-size={width},{height}", f"--screenshot={png}", page.as_uri()], timeout)
            _trimmed(Image.open(png).convert("RGB")).quantize(colours).save(png, optimize=True)
            written.append(png)
    return written
