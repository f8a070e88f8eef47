"""Rendering templates from ``reports/``: HTML, Markdown and PDF.

Templates come from the workspace's ``reports/`` first, then the shipped
``reports/`` folder, so a workspace overrides any template by file name.
Autoescaping is always on, for every file name and for strings: a service
banner is attacker-controlled text. Markdown output additionally escapes
Markdown syntax and table pipes in every value it prints.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)
from markupsafe import Markup, escape

from secaudit.errors import EnvironmentFailure
from secaudit.report.input import ReportError

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(\s*)([#+-])(?=\s|$)")
_MD_NUMBERED = re.compile(r"^(\s*\d+)\.(?=\s|$)")


def template_dirs(workspace_reports: Path | None) -> list[Path]:
    """Where templates are looked up, first match wins: the workspace's, then the shipped ones."""
    from secaudit.workspace import builtin_dir

    dirs = [workspace_reports] if workspace_reports is not None and workspace_reports.is_dir() else []
    return [*dirs, builtin_dir("reports")]


def markdown_escape(value: object) -> Markup:
    """Text made safe for Markdown: HTML-escaped, Markdown syntax and pipes backslashed, one line."""
    if isinstance(value, Markup):
        return value
    text = "" if value is None else str(value)
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))
    text = _MD_NUMBERED.sub(r"\1\\.", _MD_LINE_START.sub(r"\1\\\2", text))
    return Markup(str(escape(text)))  # noqa: S704  (escaped just above)


_ENVIRONMENTS: dict[tuple[tuple[Path, ...], bool], Environment] = {}


def _environment(dirs: list[Path], markdown: bool) -> Environment:
    """The Jinja environment for ``dirs``, made once per process so compiled templates are reused.

    Jinja checks each template's file for changes before reusing it, so an edited template still shows.
    """
    key = (tuple(dirs), markdown)
    env = _ENVIRONMENTS.get(key)
    if env is None:
        env = _ENVIRONMENTS[key] = _new_environment(dirs, markdown)
    return env


def _new_environment(dirs: list[Path], markdown: bool) -> Environment:
    loader = ChoiceLoader([FileSystemLoader(str(d)) for d in dirs])
    env = Environment(
        loader=loader,
        # compiled templates kept between runs, keyed by the template's source (an edit recompiles), in
        # Jinja's per-user folder under the temporary directory, which Jinja creates 0700 and checks
        bytecode_cache=_bytecode_cache(),
        autoescape=select_autoescape(default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=markdown_escape if markdown else None,
    )
    env.filters["css"] = css_markup
    env.filters["csp_hash"] = csp_hash
    return env


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    """Jinja's per-user bytecode cache; none (compile every time) where it cannot be made safely."""
    try:
        return FileSystemBytecodeCache()
    except RuntimeError:  # the folder exists but is not ours or not private: do without
        return None


def css_markup(text: str) -> Markup:
    """CSS for a ``<style>`` element: quotes kept, but it can never close the element."""
    return Markup(str(text).replace("</", "<\\/"))  # noqa: S704  (a style body cannot break out now)


def script_markup(text: str) -> Markup:
    """JavaScript for a ``<script>`` element: it can never close the element (``</`` is written ``<\\/``)."""
    return Markup(str(text).replace("</", "<\\/"))  # noqa: S704  (a script body cannot break out now)


def csp_hash(text: str) -> str:
    """The Content-Security-Policy source that lets exactly this inline script or style run: 'sha256-...'."""
    digest = base64.b64encode(hashlib.sha256(str(text).encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


SCRIPTS = ("dashboard.js",)
"""Scripts a template may inline, looked up like templates (a workspace may override them)."""


def render_template(name: str, context: dict[str, Any], workspace_reports: Path | None = None) -> str:
    """Render template ``name`` (e.g. ``report.html.j2``) with ``context``."""
    dirs = template_dirs(workspace_reports)
    env = _environment(dirs, markdown=name.endswith(".md.j2"))
    try:
        template = env.get_template(name)
        css = {}
        for css_name in ("report.css", "dashboard.css"):
            try:
                source, _, _ = env.loader.get_source(env, css_name)  # type: ignore[union-attr]
                css[css_name] = css_markup(source)
            except TemplateError:
                css[css_name] = Markup("")
        scripts = {}
        for script_name in SCRIPTS:
            try:
                source, _, _ = env.loader.get_source(env, script_name)  # type: ignore[union-attr]
                scripts[script_name] = script_markup(source)
            except TemplateError:
                scripts[script_name] = Markup("")
        return template.render(**context, css=css, scripts=scripts)
    except TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        raise ReportError(f"template {where}{f':{line}' if line else ''}: {exc}") from exc


class PdfUnavailable(EnvironmentFailure):
    """WeasyPrint (or the system libraries it needs) is not installed."""


PDF_HINT = (
    "PDF output needs WeasyPrint and its system libraries: pip install 'secaudit[pdf]' and "
    "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk"
)


def pdf_available() -> str | None:
    """None when PDF output works here; otherwise why not."""
    try:
        import weasyprint  # noqa: F401
    except Exception as exc:  # OSError when pango is missing, ImportError when weasyprint is
        return f"{type(exc).__name__}: {exc}"
    return None


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"reports load nothing from outside; refused {url[:80]!r}")


def html_to_pdf(html: str) -> bytes:
    """Print the HTML report to PDF with WeasyPrint; nothing outside the document is ever fetched."""
    problem = pdf_available()
    if problem is not None:
        raise PdfUnavailable(f"cannot write PDF ({problem}). {PDF_HINT}")
    import weasyprint

    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch)
    data = document.write_pdf()
    if not isinstance(data, bytes):  # write_pdf returns the bytes when given no target to write to
        raise ReportError("WeasyPrint returned no PDF")
    return data
