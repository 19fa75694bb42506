"""`make site`: the static course site reads without a kernel.

Builds the site once (scripts/build_site.py, the command `make site` runs:
Jupyter Book 1 from the stored outputs, offline) and reads the HTML pages as
a visitor's browser would with JavaScript off: the knowledge check's static
copy shows every question prompt of the bank notebook 13 shows, the Stepper's
event table is on the controller-managers page, every diagram is inline SVG
with role="img", no page leaks an answer key, cell ids are unique across the
book, and the launch buttons point at the repository and hub named in
site/_config.yml.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from quiz.test_no_keys_in_notebooks import leaks  # tests/ is on sys.path (rootdir conftest)

from kcourse import quiz

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "build" / "site"
CONFIG = yaml.safe_load((REPO / "site" / "_config.yml").read_text())
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def site() -> Path:
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_site.py")],
        check=True,
        cwd=REPO,
        capture_output=True,
        timeout=300,
    )
    return SITE


def visible_text(page: str) -> str:
    """A page's text with scripts, styles and diagrams removed and entities decoded."""
    page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.DOTALL | re.IGNORECASE)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def article(page: str) -> str:
    """The page's content (the notebook), without the theme's navigation and icons."""
    match = re.search(r"<article\b.*?</article>", page, re.DOTALL)
    assert match, "no <article> in the page"
    return match.group(0)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _bank_shown_by(notebook: Path) -> str:
    source = "\n".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"])
    match = re.search(r"quiz\.show\(\s*[\"']([\w-]+)[\"']\s*\)", source)
    assert match, f"{notebook.name} shows no whole bank"
    return match.group(1)


def test_every_notebook_is_a_page_in_reading_order(site: Path):
    toc = yaml.safe_load((REPO / "site" / "_toc.yml").read_text())
    order = [toc["root"], *(c["file"] for c in toc["chapters"])]
    assert order == [p.stem for p in NOTEBOOKS]
    for stem in order:
        assert (site / f"{stem}.html").is_file(), stem


def test_the_knowledge_check_shows_every_question_prompt_without_scripts(site: Path):
    notebook = REPO / "notebooks" / "13-knowledge-check.ipynb"
    bank = quiz.load(_bank_shown_by(notebook))
    text = visible_text((site / "13-knowledge-check.html").read_text())
    missing = [q.id for q in bank.questions if _norm(q.prompt) not in text]
    assert bank.questions and not missing, f"prompts missing from the page: {missing}"
    assert "widget-view+json" not in (site / "13-knowledge-check.html").read_text()


def test_the_controller_managers_page_shows_the_steppers_event_table(site: Path):
    stored = json.loads((REPO / "notebooks" / "05-controller-managers.ipynb").read_text())
    tables = [
        re.search(r"<table.*?</table>", h, re.DOTALL).group(0)
        for c in stored["cells"]
        for o in c.get("outputs", [])
        for h in ["".join(o.get("data", {}).get("text/html", []))]
        if "kcourse-static" in h and "Stepper" in h and "<table" in h
    ]
    assert tables, "the stored notebook has no static Stepper copy with an event table"
    text = visible_text((site / "05-controller-managers.html").read_text())
    for table in tables:
        cells = [
            _norm(html.unescape(re.sub(r"<[^>]+>", " ", c)))
            for c in re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", table, re.DOTALL)
        ]
        assert len(cells) > 5
        assert [c for c in cells if c not in text] == []


def test_every_diagram_is_inline_svg_with_a_role_and_fits_the_column(site: Path):
    css = (site / "_static" / "kcourse-site.css").read_text()
    assert "max-width: 100%" in css
    count = 0
    for page in site.glob("[0-9]*.html"):
        body = article(page.read_text())
        assert '<img src="data:image/svg' not in body and not re.search(r'<img[^>]+\.svg"', body), page.name
        for tag in re.findall(r"<svg\b[^>]*>", body):
            count += 1
            assert 'role="img"' in tag, (page.name, tag[:120])
            assert 'width="100%"' in tag, (page.name, tag[:120])
    assert count >= 10


def test_no_page_leaks_an_answer_key(site: Path):
    banks = [quiz.load(p.stem) for p in sorted(quiz.banks_dir().glob("*.yaml"))]
    for page in sorted(site.glob("*.html")):
        text = html.unescape(page.read_text())
        for bank in banks:
            assert leaks(text, bank) == [], (page.name, bank)


def test_cell_ids_are_unique_across_the_book(site: Path):
    ids = [
        c["id"]
        for p in sorted((REPO / "build" / "site-src").glob("*.ipynb"))
        for c in json.loads(p.read_text())["cells"]
    ]
    assert len(ids) == len(set(ids)) > 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids)


def test_launch_buttons_point_where_the_config_says(site: Path):
    repo = CONFIG["repository"]["url"].rstrip("/")
    branch = CONFIG["repository"]["branch"]
    binder = CONFIG["launch_buttons"]["binderhub_url"].rstrip("/")
    hub = CONFIG["launch_buttons"]["jupyterhub_url"].rstrip("/")
    folder = CONFIG["repository"]["path_to_book"]
    owner_name = repo.removeprefix("https://github.com/")
    for stem in ("02-architecture", "13-knowledge-check"):
        links = set(re.findall(r'href="([^"]+)"', (site / f"{stem}.html").read_text()))
        path = f"{folder}/{stem}.ipynb"
        assert f"{binder}/v2/gh/{owner_name}/{branch}?urlpath=lab/tree/{path}" in links
        pull = [u for u in links if u.startswith(f"{hub}/hub/user-redirect/git-pull?")]
        assert len(pull) == 1, links
        assert f"repo={quote(repo, safe='/')}" in pull[0] and f"branch={branch}" in pull[0]
        assert pull[0].split("urlpath=")[1].split("&")[0].endswith(path)
