"""A conversation as Markdown and as sanitized HTML, for where no widget runs.

A saved notebook opened on GitHub or converted with nbconvert has no kernel and no widget
manager; the chat panel's mimebundle carries these transcripts beside the widget view so the
conversation still shows. Agent text is untrusted: the HTML is rendered with raw HTML turned
off and then cleaned by nh3 (the Ammonia sanitizer), so no script, handler or dangerous URL
survives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import nh3
from markdown_it import MarkdownIt

from ._models import ApprovalState, Event

__all__ = ["transcript_html", "transcript_markdown"]

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "details",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "summary",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "del",
    "s",
}
_RESULT_PREVIEW = 300


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in text.splitlines() or [""])


def _clip(text: str, limit: int = _RESULT_PREVIEW) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fence(text: str) -> str:
    # A fence longer than any backtick run inside, so agent text cannot close it early.
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    ticks = "`" * max(3, longest + 3)
    return f"{ticks}\n{text}\n{ticks}"


def transcript_markdown(
    events: Sequence[Event],
    *,
    title: str = "",
    approvals: Mapping[str, ApprovalState] | None = None,
) -> str:
    """The conversation as Markdown: messages in full, tools and approvals in one line each."""
    approvals = approvals or {}
    lines: list[str] = [f"### Neo: {title}" if title else "### Neo conversation", ""]
    for event in events:
        if event.type == "user_message":
            lines += [f"**You:** {event.content or ''}".rstrip(), ""]
        elif event.type == "assistant_message":
            if event.content:
                lines += ["**Neo:**", "", event.content, ""]
            for call in event.tool_calls:
                if call.name != "approval_request":
                    lines += [f"- tool `{call.name}` {_clip(call.raw_arguments or '', 120)}", ""]
        elif event.type == "tool_response":
            lines += [
                _quote(f"`{event.name or 'tool'}` returned:"),
                "",
                _fence(_clip(event.result or "")),
                "",
            ]
        elif event.type == "user_confirmation":
            ok = event.body.get("ok") is not False
            lines += [
                f"*{'Approved' if ok else 'Declined'}* "
                f"`{event.body.get('approval_request_id', '')}`",
                "",
            ]
        elif event.type in ("user_cancel", "cancelled"):
            lines += ["*Cancelled.*", ""]
        elif event.type in ("error", "warning"):
            lines += [_quote(f"**{event.type.title()}:** {event.content or ''}"), ""]
        elif event.type in ("set_task_name", "exec_tool_call"):
            continue
        elif event.type != "user_approval_request":
            lines += [f"*({event.type or 'event'})*", ""]
        for request in event.approval_requests:
            state = approvals.get(request.id or "", request.state)
            lines += [_quote(f"**Approval requested** ({state}): {request.description}"), ""]
    return "\n".join(lines).rstrip() + "\n"


def transcript_html(markdown: str) -> str:
    """Sanitized HTML for a Markdown transcript."""
    html = _MARKDOWN.render(markdown)
    return nh3.clean(
        f'<div class="neo-transcript">{html}</div>',
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "code": {"class"}, "div": {"class"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
