"""A corpus of XSS payloads for everything that renders agent text: the saved transcript
(tests/test_secrets.py) and the live panel (tests/browser).

Payload number ``n`` (its 1-based position in ``PAYLOADS``), if it ever ran, sets
``window.__xss = n`` (``top.__xss`` from inside a frame) or calls ``alert(n)``, so a browser
test can tell which one got through: check that ``window.__xss`` stays undefined and no dialog
opens.

Import it as ``from xss_payloads import PAYLOADS`` (``tests/`` is on ``sys.path`` under pytest).
"""

from __future__ import annotations

import base64
from urllib.parse import quote, unquote

__all__ = ["PAYLOADS", "decoded", "payload_number"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _build() -> list[str]:
    # Each template is formatted with n = its position; "{{" and "}}" are literal braces.
    templates = [
        # script tags, plain, odd case, nested, split
        "<script>window.__xss={n}</script>",
        "<ScRiPt >window.__xss={n}</sCrIpT>",
        "<scr<script>ipt>window.__xss={n}</scr</script>ipt>",
        "<<script>script>alert({n})<</script>/script>",
        '"><script>window.__xss={n}</script>',
        "</pre></code></details><script>window.__xss={n}</script>",
        # event handlers
        "<img src=x onerror=window.__xss={n}>",
        '<img src="x" onerror="window.__xss={n}" />',
        "<details open ontoggle=window.__xss={n}><summary>x</summary></details>",
        "<body onload=window.__xss={n}>",
        "<svg onload=window.__xss={n}>",
        "<svg><animate onbegin=window.__xss={n} attributeName=x dur=1s></svg>",
        "<input autofocus onfocus=window.__xss={n}>",
        "<video><source onerror=window.__xss={n}></video>",
        "<div onmouseover=window.__xss={n} style=position:fixed;inset:0>hover</div>",
        "<marquee onstart=window.__xss={n}>x</marquee>",
        # javascript: and data: links, HTML and markdown
        '<a href="javascript:window.__xss={n}">click</a>',
        '<a href="jav&#x09;ascript:window.__xss={n}">click</a>',
        '<a href="&#x6A;avascript:window.__xss={n}">click</a>',
        '<a href=" JaVaScRiPt:window.__xss={n}">click</a>',
        "[click](javascript:window.__xss={n})",
        "[click](JAVASCRIPT:window.__xss={n})",
        "[click](&#106;avascript:window.__xss={n})",
        "[click](<javascript:window.__xss={n}>)",
        "[click][ref]\n\n[ref]: javascript:window.__xss={n}",
        "<javascript:window.__xss={n}>",
        "![image](javascript:window.__xss={n})",
        "[click](vbscript:alert({n}))",
        "[click](data:text/html;base64,{b64_script})",
        '<a href="data:text/html,<script>alert({n})</script>">click</a>',
        '<svg><a xlink:href="javascript:window.__xss={n}"><text y="20">x</text></a></svg>',
        '<object data="javascript:window.__xss={n}"></object>',
        '<embed src="data:text/html;base64,{b64_script}">',
        '<form action="javascript:window.__xss={n}"><input type=submit value=go></form>',
        '<button formaction="javascript:window.__xss={n}">go</button>',
        # frames, meta, base
        '<iframe srcdoc="<script>top.__xss={n}</script>"></iframe>',
        '<iframe src="javascript:top.__xss={n}"></iframe>',
        '<meta http-equiv="refresh" content="0;url=javascript:window.__xss={n}">',
        '<base href="javascript:window.__xss={n}//">',
        '<link rel="stylesheet" href="javascript:window.__xss={n}">',
        # CSS injection
        "<style>@import 'javascript:window.__xss={n}';</style>",
        "<style>body{{background:url(javascript:window.__xss={n})}}</style>",
        '<div style="background-image:url(javascript:window.__xss={n})">x</div>',
        '<div style="width:expression(window.__xss={n})">x</div>',
        # mutation XSS: parsers that disagree about where an element ends
        "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss={n}>",
        '<svg></p><style><a id="</style><img src=x onerror=window.__xss={n}>">',
        '<noscript><p title="</noscript><img src=x onerror=window.__xss={n}>"></noscript>',
        "<template><script>window.__xss={n}</script></template>",
        '<xmp><p title="</xmp><img src=x onerror=window.__xss={n}>">',
        # encoded forms, which must stay text
        "&lt;script&gt;window.__xss={n}&lt;/script&gt;",
        "%3Cscript%3Ewindow.__xss%3D{n}%3C%2Fscript%3E",
        "\\u003cscript\\u003ewindow.__xss={n}\\u003c/script\\u003e",
        "&#60;img src=x onerror=window.__xss={n}&#62;",
        "{url_encoded}",
        # markdown that turns into HTML: fences, code spans, tables, headings
        "```\n</code></pre><img src=x onerror=window.__xss={n}>\n```",
        "`` ` ``<img src=x onerror=window.__xss={n}>",
        "| a | b |\n|---|---|\n"
        "| <img src=x onerror=window.__xss={n}> | [x](javascript:alert({n})) |",
        "# <img src=x onerror=window.__xss={n}>",
        "> <script>window.__xss={n}</script>",
        # template and string break-outs, should anything interpolate the text
        "{{{{constructor.constructor('window.__xss={n}')()}}}}",
        "${{window.__xss={n}}}",
        "'-alert({n})-'",
        '";window.__xss={n};//',
    ]
    payloads = []
    for n, template in enumerate(templates, start=1):
        script = f"<script>window.top.__xss={n}</script>"
        payloads.append(
            template.format(
                n=n,
                b64_script=_b64(script),
                url_encoded=quote(f"<img src=x onerror=window.__xss={n}>"),
            )
        )
    return payloads


#: Every payload; number ``n`` is ``PAYLOADS[n - 1]``.
PAYLOADS: list[str] = _build()


def decoded(payload: str) -> str:
    """A payload with its URL-encoded and base64 parts decoded too (to read what it does)."""
    parts = [payload, unquote(payload)]
    if "base64," in payload:
        encoded = payload.split("base64,", 1)[1].split(")", 1)[0].split('"', 1)[0]
        parts.append(base64.b64decode(encoded).decode())
    return "\n".join(parts)


def payload_number(value: object) -> int | None:
    """The payload number a ``window.__xss`` value names, or None when nothing ran."""
    return value if isinstance(value, int) and 1 <= value <= len(PAYLOADS) else None
