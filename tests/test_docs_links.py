"""README.md and docs/**/*.md: every relative link and image resolves, every anchor exists.

A link is ``[text](path)``, ``![alt](path)``, a reference definition ``[name]: path`` or an
HTML ``<img src=...>`` / ``<a href=...>``; links in fenced code blocks and inline code are
not links. ``http:``, ``https:`` and ``mailto:`` links are not followed. A relative path must
name a file or folder in the repository; an ``#anchor`` into a Markdown file (or ``#anchor``
alone, into the same file) must match one of its headings, slugged as GitHub does
(lowercase, punctuation dropped except hyphens and underscores, spaces to hyphens, ``-1``,
``-2`` ... for repeated headings), or an HTML ``id``/``name`` in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 300
EXTERNAL = ("http://", "https://", "mailto:")

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*(<[^>]*>|\S+)")
HTML_LINK = re.compile(
    r"<(?:img|a|source)\b[^>]*?\b(?:src|href)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE
)
HTML_ANCHOR = re.compile(r"<[a-z][^>]*?\b(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
MARKDOWN_LINK_TEXT = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
HTML_TAG = re.compile(r"<[^>]+>")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Link:
    file: Path
    line: int
    target: str


def doc_files(root: Path = ROOT) -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    lines: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            closing = match.group(1) if match else ""
            if closing.startswith(fence[0]) and len(closing) >= len(fence):
                # A closing fence holds nothing but the fence characters.
                fence = None if not line.strip().lstrip(fence[0]) else fence
            continue
        lines.append((number, line))
    return lines


def without_code(line: str) -> str:
    """``line`` with its inline code spans blanked out."""
    return INLINE_CODE.sub(lambda match: " " * len(match.group(0)), line)


def _destination(text: str, start: int) -> str:
    """The link destination that starts at ``text[start]`` (just after ``](``)."""
    while start < len(text) and text[start] in " \t":
        start += 1
    if text.startswith("<", start):
        end = text.find(">", start)
        return text[start + 1 : end] if end != -1 else text[start + 1 :]
    depth, end = 0, start
    while end < len(text):
        char = text[end]
        if char in " \t":
            break
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        end += 1
    return text[start:end]


def links_in(path: Path) -> list[Link]:
    """Every link and image target in a Markdown file, with its line number."""
    found: list[Link] = []
    for number, raw in prose_lines(path.read_text(encoding="utf-8")):
        line = without_code(raw)
        for match in re.finditer(r"\]\(", line):
            found.append(Link(path, number, _destination(line, match.end())))
        definition = REFERENCE_DEFINITION.match(line)
        if definition:
            found.append(Link(path, number, definition.group(1).strip("<>")))
        for html in HTML_LINK.finditer(line):
            found.append(Link(path, number, html.group(1) or html.group(2) or ""))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = MARKDOWN_LINK_TEXT.sub(r"\1", heading)
    text = HTML_TAG.sub("", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """The anchors a Markdown file offers: its headings' slugs and its HTML ids and names."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    previous = ""

    def add(heading: str) -> None:
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")

    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        atx = ATX_HEADING.match(line)
        if atx:
            add(atx.group(2) or "")
        elif SETEXT_UNDERLINE.match(line) and previous.strip() and "|" not in previous:
            add(previous)
        found.update(HTML_ANCHOR.findall(without_code(line)))
        previous = "" if atx else line
    return frozenset(found)


def problem(link: Link, root: Path = ROOT) -> str | None:
    """Why ``link`` is broken, or None when it resolves."""
    target = link.target.strip()
    if target.lower().startswith(EXTERNAL):
        return None
    if not target:
        return "empty link"
    if SCHEME.match(target):
        return f"{target}: not a relative path (only http, https and mailto links are external)"
    path_part, _, anchor = target.partition("#")
    path_part = unquote(path_part.split("?", 1)[0])
    if not path_part:
        resolved = link.file
    elif path_part.startswith("/"):
        resolved = (root / path_part.lstrip("/")).resolve()
    else:
        resolved = (link.file.parent / path_part).resolve()
    if not resolved.is_relative_to(root.resolve()):
        return f"{target}: points outside the repository"
    if not resolved.exists():
        return f"{target}: {resolved.relative_to(root.resolve())} does not exist"
    markdown = resolved.is_file() and resolved.suffix.lower() == ".md"
    if anchor and markdown and unquote(anchor) not in anchors(resolved):
        where = "this file" if resolved == link.file else resolved.relative_to(root.resolve())
        return f"{target}: no heading in {where} has the anchor #{anchor}"
    return None


def broken_links(files: list[Path], root: Path = ROOT) -> list[str]:
    """``file:line: what is wrong`` for each broken link in ``files``."""
    report: list[str] = []
    for path in files:
        for link in links_in(path):
            reason = problem(link, root)
            if reason is not None:
                report.append(f"{path.relative_to(root)}:{link.line}: {reason}")
    return report


def test_every_link_and_image_in_the_docs_resolves() -> None:
    broken = broken_links(doc_files())
    assert not broken, f"{len(broken)} broken link(s):\n" + "\n".join(broken)


def test_readme_is_a_short_front_door() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines (at most {README_MAX_LINES}): move detail to a "
        "page in docs/ and link to it"
    )


def test_slugs_follow_github() -> None:
    assert slug("Set-up: two commands") == "set-up-two-commands"
    assert slug("Your controller's addresses: `[controls.osc]`") == (
        "your-controllers-addresses-controlsosc"
    )
    assert slug("Max/MSP recipe") == "maxmsp-recipe"
    assert slug("The neural lava lamp: `lava_lamp.onnx`") == "the-neural-lava-lamp-lava_lamponnx"
    assert slug("See [the docs](docs/x.md) first") == "see-the-docs-first"


def test_the_checker_finds_broken_links_and_anchors(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(
        "# A page\n\n## Twice\n\n## Twice\n\nSee [the top](#a-page) and [again](#twice-1).\n",
        encoding="utf-8",
    )
    (tmp_path / "README.md").write_text(
        "# Readme\n\n"
        "[fine](docs/page.md#twice) [web](https://example.org/x.md)\n"
        "![missing](docs/images/none.png)\n"
        "[no anchor](docs/page.md#thrice) [here](#nowhere)\n"
        "```\n[in code](nothing.md)\n```\n"
        '`[inline](nothing.md)` <img src="docs/gone.png">\n',
        encoding="utf-8",
    )
    broken = broken_links(doc_files(tmp_path), tmp_path)
    assert broken == [
        "README.md:4: docs/images/none.png: docs/images/none.png does not exist",
        "README.md:5: docs/page.md#thrice: no heading in docs/page.md has the anchor #thrice",
        "README.md:5: #nowhere: no heading in this file has the anchor #nowhere",
        "README.md:9: docs/gone.png: docs/gone.png does not exist",
    ]
