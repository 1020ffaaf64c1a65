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

from ._attachments import split_attachments
from ._eventlog import EventLog
from ._events import APPROVAL_TOOL, ApprovalRequest, Event, FileDiff

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


def _fence(text: str, language: str = "") -> str:
    # A fence longer than any backtick run inside, so agent text cannot close it early.
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    ticks = "`" * max(3, longest + 3)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def _diff(diffs: Sequence[FileDiff], heading: str) -> list[str]:
    if not diffs:
        return []
    lines = [heading, ""]
    for diff in diffs:
        lines += [
            f"`{diff.file}` (+{diff.added} -{diff.removed})",
            "",
            _fence(diff.patch, "diff"),
            "",
        ]
    return lines


def _returned(tool: str | None, output: str | None, by: str) -> list[str]:
    return [_quote(f"`{tool or 'tool'}` returned{by}:"), "", _fence(_clip(output or "")), ""]


def _approval(request: ApprovalRequest) -> list[str]:
    kind = {"plan_exit": "a plan", "tool_permission": f"tool `{request.tool_name or '?'}`"}
    what = kind.get(request.approval_type or "", "")
    mark = " **(sensitive)**" if request.sensitive else ""
    lines = [
        _quote(
            f"**Approval requested**{' for ' + what if what else ''}{mark} ({request.state}): "
            f"{request.description}"
        ),
        "",
    ]
    if request.plan:
        lines += ["**Plan:**", "", request.plan, ""]
    lines += _diff(request.diff, "**Changes:**")
    lines += _diff(request.last_approval_diff, "**Changed since the last approval:**")
    return lines


def _trigger(event: Event) -> list[str]:
    lines: list[str] = []
    for trigger in event.triggers:
        title = trigger.title or trigger.event_type or "an automation"
        source = f" ({trigger.provider})" if trigger.provider else ""
        lines += [f"**Started by{source}:** {title}", ""]
        if trigger.reference:
            url = trigger.source_url if (trigger.source_url or "").startswith("https://") else None
            lines += [f"[{trigger.reference}]({url})" if url else trigger.reference, ""]
        lines += [f"- {d.label}: {d.value}" for d in trigger.details]
        if trigger.details:
            lines.append("")
    if event.trigger_instructions:
        lines += ["**Instructions:**", "", event.trigger_instructions, ""]
    if event.content:
        lines += [event.content, ""]
    return lines


def transcript_markdown(
    events: Sequence[Event], *, title: str = "", decisions: Mapping[str, str] | None = None
) -> str:
    """The conversation as Markdown: messages, plans and diffs in full, each tool run and
    answer in a line or two. Approval states are those the events imply.

    ``decisions``: what the person decided on calls run on this machine, by call id
    (``"Allowed"``, ``"Rejected: <reason>"``), said before each such result."""
    log = EventLog()
    for event in events:
        log.add(event)
    lines: list[str] = [f"### Neo: {title}" if title else "### Neo conversation", ""]
    for event in events:
        kind = event.type
        if event.kind == "triggerUserInput":
            lines += _trigger(event)
        elif kind == "user_message":
            question, attached = split_attachments(event.content or "")
            lines += [f"**You:** {question}".rstrip(), ""]
            for section in attached:
                note = f" {section.note}" if section.note else ""
                lines += [
                    f"*Attached {section.name} ({section.description}).{note}*",
                    "",
                    _fence(section.content),
                    "",
                ]
        elif kind == "assistant_message":
            if event.content:
                lines += ["**Neo:**", "", event.content, ""]
            for call in event.tool_calls:
                if call.name != APPROVAL_TOOL:
                    lines += [f"- tool `{call.name}` {_clip(call.raw_arguments or '', 120)}", ""]
        elif kind == "tool_response":
            lines += _returned(event.name, event.result, "")
        elif kind == "tool_result":
            for result in event.tool_results:
                decided = (decisions or {}).get(result.tool_call_id or "")
                if decided:
                    lines += [f"*{decided} by you:* `{result.name or 'tool'}`", ""]
                lines += _returned(result.name, result.content, " (run by the client)")
        elif kind == "user_confirmation":
            answer = event.confirmation
            if answer is not None:
                verb = "Approved" if answer.ok else "Declined"
                said = f": {answer.instructions}" if answer.instructions else ""
                lines += [f"*{verb}* `{answer.approval_request_id or ''}`{said}", ""]
        elif kind in ("user_cancel", "cancelled"):
            lines += ["*Cancelled.*", ""]
        elif kind in ("error", "warning"):
            lines += [_quote(f"**{kind.title()}:** {event.content or ''}"), ""]
        elif kind == "change_entities":
            added, removed = event.entity_changes
            changed = [f"added {e}" for e in added] + [f"removed {e}" for e in removed]
            if changed:
                lines += [f"*Entities: {', '.join(changed)}.*", ""]
        elif kind == "context_compression_event":
            status, summary = event.compression or ("compressing", None)
            lines += [f"*Context {status}.*", ""] + ([_quote(summary), ""] if summary else [])
        elif kind not in _QUIET:
            lines += [f"*({kind or event.kind or 'event'})*", ""]
        for request in event.approval_requests:
            state = log.approval(request.id) if request.id else None
            lines += _approval(state or request)
    return "\n".join(lines).rstrip() + "\n"


#: Kinds with nothing to say in a transcript (tool starts show with their results).
_QUIET = frozenset(
    {
        "set_task_name",
        "exec_tool_call",
        "exec_tool_call_progress",
        "awaiting_approvals",
        "provide_pulumi_access_token",
        "user_approval_request",
    }
)


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
