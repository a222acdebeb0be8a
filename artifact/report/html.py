"""report.md -> report.html that opens offline: markdown-it renders it, the figures are inlined
as base64 data URIs and the style sheet is inline (no CDN, no script)."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from markdown_it import MarkdownIt

STYLE = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; max-width: 1200px;
       margin: 2em auto; padding: 0 1em; line-height: 1.45; color: #1d1d1d; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #c8c8c8; padding: 0.35em 0.6em; vertical-align: top; }
th { background: #f2f2f2; }
img { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
blockquote { border-left: 4px solid #d1495b; margin: 1em 0; padding: 0.4em 1em;
             background: #fbeff1; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
code { font-size: 0.92em; }
"""

_IMAGE = re.compile(r'src="(figures/[A-Za-z0-9_.-]+\.png)"')


def _inline_images(body: str, base: Path) -> str:
    def data_uri(match: re.Match) -> str:
        path = base / match.group(1)
        if not path.is_file():
            return match.group(0)
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'src="data:image/png;base64,{encoded}"'

    return _IMAGE.sub(data_uri, body)


def markdown_to_html(markdown: str, title: str, base: Path) -> str:
    """A whole HTML page; `base` is the folder the Markdown's relative image paths start from."""
    renderer = MarkdownIt("commonmark", {"html": True}).enable("table")
    body = _inline_images(renderer.render(markdown), base)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )
