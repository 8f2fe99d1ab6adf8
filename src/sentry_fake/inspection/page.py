"""
The page a person sees at C{/} in a browser: the projects, the latest issues and events, and
how to point a client at this server.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..timefmt import isoformat

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; } td, th { padding: .3rem .5rem; text-align: left;
  border-bottom: 1px solid #ddd; vertical-align: top; } th { background: #f4f4f6; }
code { background: #f4f4f6; padding: .1rem .3rem; border-radius: 3px; }
.level-error, .level-fatal { color: #b00020; } .level-warning { color: #a66300; }
.muted { color: #777; }
"""


def _rows(rows: list[list[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)


def render(store: Any, meta: dict[str, Any], limit: int = 50) -> bytes:
    """
    The page as UTF-8 HTML.
    """
    projects = [[escape(str(p.id)), escape(p.slug), escape(p.name), escape(p.platform or ""),
                 str(len(store.events(project_id=p.id)))] for p in store.directory.projects_of()]
    issues = sorted(store.issues(store.directory.projects_of()), key=lambda issue: issue.last_seen,
                    reverse=True)[:limit]
    issue_rows = [[escape(str(i.id)), f'<span class="level-{escape(i.level)}">{escape(i.level)}</span>',
                   escape(i.title), escape(i.culprit), str(i.times_seen), escape(i.status),
                   escape(isoformat(i.last_seen) or "")] for i in issues]
    events = store.events().newest(0, limit)
    event_rows = [[f"<code>{escape(e.event_id)}</code>", escape(e.type),
                   f'<span class="level-{escape(e.level)}">{escape(e.level)}</span>',
                   escape(e.title), escape(str(e.project_id)),
                   escape(isoformat(e.received) or "")] for e in events]
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sentry-fake</title>
<style>{_STYLE}</style></head><body>
<h1>sentry-fake <span class="muted">{escape(meta["version"])}</span></h1>
<p>DSN <code>{escape(meta["dsn"])}</code> · API <code>{escape(meta["api_url"])}</code> ·
{meta["events"]} events, {meta["issues"]} issues, {meta["items"]} items
({meta["evicted"]} evicted) · <a href="/__parlel/events">events as JSON</a> ·
<a href="/__parlel/items">items as JSON</a></p>
<h2>Projects</h2>
<table><tr><th>id</th><th>slug</th><th>name</th><th>platform</th><th>events</th></tr>
{_rows(projects)}</table>
<h2>Latest issues</h2>
<table><tr><th>id</th><th>level</th><th>title</th><th>culprit</th><th>events</th><th>status</th>
<th>last seen</th></tr>{_rows(issue_rows) or '<tr><td colspan="7" class="muted">none yet</td></tr>'}</table>
<h2>Latest events</h2>
<table><tr><th>event id</th><th>type</th><th>level</th><th>title</th><th>project</th>
<th>received</th></tr>{_rows(event_rows) or '<tr><td colspan="6" class="muted">none yet</td></tr>'}</table>
</body></html>
"""
    return html.encode("utf-8")
