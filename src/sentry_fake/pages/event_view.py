"""
One event, section by section, from Sentry's full event shape
(L{sentry_fake.management.event_shapes.full_event}): message, exception chain and stack
traces, breadcrumbs, request, user, tags, contexts, additional data, SDK and packages.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from twisted.web.template import Tag, tags

from ..timefmt import parse_timestamp
from . import links
from .format import exact, level_badge
from .frames import exception_chain, frames_view, value_text

#: At most this many breadcrumbs are shown (the latest ones).
MAX_BREADCRUMBS = 200


def section(key: str, title: str, *body: Any) -> Tag:
    return tags.section(tags.h2(title), *body, id=key, class_="panel event-section")


def kv_table(pairs: list[tuple[Any, Any]]) -> Tag:
    rows = []
    for key, value in pairs:
        shown = value_text(value)
        structured = isinstance(value, (dict, list))
        cell = tags.pre(shown) if structured or "\n" in shown or len(shown) > 120 else shown
        rows.append(tags.tr(tags.th(value_text(key)), tags.td(cell)))
    return tags.table(tags.tbody(*rows), class_="kv")


def _message(data: dict[str, Any]) -> Tag:
    body = [tags.pre(data.get("formatted") or "", class_="message")]
    if data.get("message") and data.get("message") != data.get("formatted"):
        body.append(tags.div("Template: ", tags.code(data["message"]), class_="muted"))
    return section("message", "Message", *body)


def _stacktrace(data: dict[str, Any]) -> Tag:
    return section("stacktrace", "Stack Trace", frames_view(data.get("frames") or []))


def _threads(data: dict[str, Any]) -> Tag | str:
    threads = data.get("values") or []
    chosen = next((t for t in threads if t.get("crashed")), None) or next(
        (t for t in threads if t.get("current")), None) or (threads[0] if threads else None)
    if chosen is None or not chosen.get("stacktrace"):
        return ""
    name = chosen.get("name") or f"Thread {chosen.get('id')}"
    return section("threads", "Threads", tags.p(name, " (crashed)" if chosen.get("crashed")
                                                  else "", class_="muted"),
                   frames_view(chosen["stacktrace"].get("frames") or []))


def _crumb_time(value: Any) -> str:
    moment = parse_timestamp(value)
    return exact(moment)[11:19] if moment is not None else ""


def _breadcrumbs(data: dict[str, Any]) -> Tag:
    crumbs = data.get("values") or []
    hidden = max(0, len(crumbs) - MAX_BREADCRUMBS)
    rows = []
    for crumb in reversed(crumbs[hidden:]):
        data_ = crumb.get("data")
        rows.append(tags.tr(
            tags.td(tags.span(crumb.get("category") or crumb.get("type") or "default",
                              class_=f"crumb-type crumb-{crumb.get('type') or 'default'}")),
            tags.td(crumb.get("message") or "",
                    tags.code(value_text(data_), class_="crumb-data") if data_ else "",
                    class_="crumb-message"),
            tags.td(level_badge(crumb.get("level") or "info")),
            tags.td(_crumb_time(crumb.get("timestamp")), class_="crumb-time")))
    note = tags.p(f"{hidden} earlier breadcrumbs not shown.", class_="muted") if hidden else ""
    return section("breadcrumbs", "Breadcrumbs", note, tags.table(
        tags.thead(tags.tr(tags.th("Type"), tags.th("Description"), tags.th("Level"),
                           tags.th("Time"))),
        tags.tbody(*rows), class_="breadcrumbs"))


def _request(data: dict[str, Any]) -> Tag:
    head = tags.p(tags.span(data.get("method") or "", class_="method"), " ",
                  tags.code(data.get("url") or ""), class_="request-line")
    parts: list[Any] = [head]
    for key, title in (("query", "Query"), ("headers", "Headers"), ("cookies", "Cookies")):
        pairs = [tuple(pair) for pair in data.get(key) or []]
        if pairs:
            parts += [tags.h3(title), kv_table(pairs)]
    if data.get("fragment"):
        parts += [tags.h3("Fragment"), tags.code(data["fragment"])]
    if data.get("data") not in (None, "", {}, []):
        parts += [tags.h3("Body"), tags.pre(value_text(data["data"]))]
    if isinstance(data.get("env"), dict) and data["env"]:
        parts += [tags.h3("Environment"), kv_table(sorted(data["env"].items()))]
    return section("request", "HTTP Request", *parts)


def _security(kind: str) -> Callable[[dict[str, Any]], Tag]:
    def render(data: dict[str, Any]) -> Tag:
        return section(kind, f"{kind.upper()} Report", kv_table(sorted(data.items())))

    return render


def _debug_meta(data: dict[str, Any]) -> Tag:
    images = data.get("images") or []
    rows = [(image.get("code_file") or image.get("debug_file") or image.get("type") or "image",
             image.get("debug_id") or image.get("uuid") or "") for image in images]
    return section("debugmeta", "Images Loaded", kv_table(rows) if rows
                   else tags.p("None.", class_="muted"))


_ENTRIES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "message": _message, "exception": lambda data: section("exception", "Exception",
                                                           exception_chain(data)),
    "stacktrace": _stacktrace, "threads": _threads, "breadcrumbs": _breadcrumbs,
    "request": _request, "debugmeta": _debug_meta,
    **{kind: _security(kind) for kind in ("csp", "hpkp", "expectct", "expectstaple")},
}


def _tags(shape: dict[str, Any], org: str) -> Tag | str:
    chips = []
    for tag in shape.get("tags") or []:
        query = tag.get("query") or f'{tag["key"]}:"{tag["value"]}"'
        chips.append(tags.a(tags.span(tag["key"], class_="tag-key"),
                            tags.span(tag["value"], class_="tag-value"),
                            href=links.issues_url(org, [("query", query), ("status", "all")]),
                            class_="tag"))
    return section("tags", "Tags", tags.div(*chips, class_="tag-list")) if chips else ""


def _user(shape: dict[str, Any]) -> Tag | str:
    user = shape.get("user")
    if not user:
        return ""
    pairs = [(key, user[key]) for key in ("id", "email", "username", "ip_address", "name")
             if user.get(key) not in (None, "")]
    if user.get("geo"):
        pairs.append(("geo", user["geo"]))
    pairs += sorted((user.get("data") or {}).items())
    return section("user", "User", kv_table(pairs))


def _contexts(shape: dict[str, Any]) -> Tag | str:
    contexts = shape.get("contexts") or {}
    cards = []
    for name in sorted(contexts):
        context = contexts[name]
        pairs = [(key, value) for key, value in sorted(context.items()) if key != "type"]
        cards.append(tags.div(tags.h3(name), kv_table(pairs), class_="context-card"))
    return section("contexts", "Contexts", tags.div(*cards, class_="cards")) if cards else ""


def _extra(shape: dict[str, Any]) -> Tag | str:
    extra = shape.get("context") or {}
    return section("extra", "Additional Data", kv_table(sorted(extra.items()))) if extra else ""


def _sdk(shape: dict[str, Any]) -> Tag | str:
    sdk = shape.get("sdk")
    packages = shape.get("packages") or {}
    if not sdk and not packages:
        return ""
    parts: list[Any] = []
    if sdk:
        parts.append(kv_table([("name", sdk.get("name")), ("version", sdk.get("version"))]))
    if packages:
        parts.append(tags.details(tags.summary(f"Packages ({len(packages)})"),
                                  kv_table(sorted(packages.items()))))
    return section("sdk", "SDK", *parts)


def _attachments(attachments: list[dict[str, Any]]) -> Tag | str:
    if not attachments:
        return ""
    return section("attachments", "Attachments", kv_table(
        [(item["name"], f"{item['size']} bytes, {item['mimetype'] or 'unknown type'}")
         for item in attachments]))


def event_sections(shape: dict[str, Any], org: str,
                   attachments: Sequence[dict[str, Any]] = ()) -> list[Any]:
    """
    Every section the event has, in Sentry's order: its entries first, then tags, user,
    contexts, additional data, SDK and attachments.
    """
    out: list[Any] = []
    for entry in shape.get("entries") or []:
        render = _ENTRIES.get(entry["type"])
        if render is not None and entry.get("data"):
            out.append(render(entry["data"]))
    out += [_tags(shape, org), _user(shape), _contexts(shape), _extra(shape), _sdk(shape),
            _attachments(list(attachments))]
    return [part for part in out if part != ""]


def section_links(sections: list[Any]) -> Tag:
    """
    Links to the sections of an event, for jumping down the page.
    """
    found = []
    for part in sections:
        key = part.attributes.get("id") if isinstance(part, Tag) else None
        if key:
            title = part.children[0].children[0] if part.children else key
            found.append(tags.a(title, href=f"#{key}"))
    return tags.nav(*found, class_="jump", **{"aria-label": "Sections"})
