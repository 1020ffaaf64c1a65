"""Secret redaction: the one room every outbound text passes through (attachments, tool results).

Text that looks like a secret is replaced with ``[redacted: <what>]``. The detectors come from
Yelp's `detect-secrets <https://github.com/Yelp/detect-secrets>`_ (its regex plugins: AWS keys,
GitHub, GitLab, Slack, Stripe, OpenAI, PyPI, npm, SendGrid, Twilio, Discord, Telegram, Mailchimp,
Square and Artifactory tokens, JSON web tokens checked by its own validator, an Azure storage
``AccountKey=``, the password of a ``scheme://user:password@host`` URL, private key headers),
plus the few kinds it does not know, written here:

- Pulumi access tokens (``pul-`` and 40 hex digits) and GitHub fine-grained tokens
  (``github_pat_...``);
- a whole private key block, from ``-----BEGIN ... PRIVATE KEY-----`` to its END line (or to the
  end of the text when it was cut short), not only the header detect-secrets flags;
- an AWS secret access key named as one without quotes (``aws_secret_access_key = ...``) or
  right after a key id (a credentials CSV);
- the value of a key named like a secret (``password: hunter2``, ``"client_secret": "..."``,
  ``GITHUB_TOKEN=...``): the name must *end* with password/passwd/secret/token/api key/access
  key/private key, so ``secret_name``, ``input_tokens`` and ``token_usage`` do not count, and
  placeholders (``null``, ``''``, ``${DB_PASSWORD}``) stay.

detect-secrets' own keyword plugin is not used: it needs a file name to pick its rules and a
filter pipeline to tame them, which command output has neither of. Its high-entropy plugins
are not used either: every git hash, lockfile checksum and base64 blob would go. So these are
*not* redacted (false negatives by design): a random-looking string with no recognisable
shape and no secret-like name next to it. Known false positives: a 40-character base64-ish
string right after an AWS key id, and any ``scheme://user:x@host`` URL's ``x``.

Callers that know the exact secret (the access token, a ``{"secret": ...}`` environment
variable) pass it as ``known``: every occurrence goes, whatever it looks like.

>>> redact_text("token: pul-" + "0" * 40)
('token: [redacted: Pulumi access token]', 1)
>>> redact_text("postgres://admin:hunter2@db/app")
('postgres://admin:[redacted: password in URL]@db/app', 1)
>>> redact_json({"password": "hunter2", "n": 3})
({'password': '[redacted: secret]', 'n': 3}, 1)

Speed: one pass of each detector's regex over the whole text (not line by line), a set of
spans, one rebuild; about 0.25 s for 1 MiB of shell output on one core
(``benchmarks/local_tools.py``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

__all__ = ["MARK", "JsonValue", "is_secret_name", "redact_json", "redact_text"]

JsonValue: TypeAlias = "dict[str, JsonValue] | list[JsonValue] | str | int | float | bool | None"

MARK = "[redacted: {}]"
"""What a secret becomes; ``{}`` is what kind of secret it was."""

_KEY_ID = r"(?:AKIA|ASIA)[A-Z0-9]{16}"
_SECRET_40 = r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
_SECRET_WORDS = r"password|passwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|token"
_SECRET_KEY = re.compile(rf"[A-Za-z0-9_.-]*?(?:{_SECRET_WORDS})\Z", re.IGNORECASE)
_NOT_SECRET_VALUES = frozenset({"", "null", "none", "true", "false", "~", "nil", "undefined"})
# Characters detect-secrets' patterns sometimes take around a token (Artifactory's leading
# "=" or quote, its trailing space); the mark replaces the token, not its surroundings. A
# trailing "=" stays: it is base64 padding.
_LEADING = " \t\r\n=:\"'"
_TRAILING = " \t\r\n\"'"


def is_secret_name(name: str) -> bool:
    """Whether a key or column called `name` holds a secret (``db_password``, ``clientSecret``,
    ``GITHUB_TOKEN``; not ``secret_name`` nor ``input_tokens``).

    >>> is_secret_name("db_password"), is_secret_name("token_usage")
    (True, False)
    """
    return _SECRET_KEY.match(name) is not None


def _placeholder(value: str) -> bool:
    return value.lower() in _NOT_SECRET_VALUES or value.startswith(("[redacted", "${"))


@dataclass(frozen=True)
class _Rule:
    """One way to find a secret: a pattern, the group holding the value (0: the whole match,
    -1: the first group that matched), and a check that can still reject the value."""

    what: str
    pattern: re.Pattern[str]
    group: int = 0
    accept: Callable[[str], bool] | None = None


def _plugin(
    plugin: type[RegexBasedDetector], what: str | None = None, *, group: int = 0
) -> list[_Rule]:
    """detect-secrets' own patterns for one plugin. Its ``analyze_string`` gives values, not
    places, and yields a prefix group for some (GitHub's ``ghp``), so the patterns are run
    here with the group that holds the value said explicitly."""
    return [
        _Rule(what or str(plugin.secret_type), pattern, group)
        for pattern in plugin.denylist  # type: ignore[attr-defined]
    ]


def _aws_rules() -> list[_Rule]:
    # detect-secrets' AWS plugin has two patterns: a key id (the whole match) and a quoted
    # secret key named near "aws" (its group); each gets its own name here.
    return [
        _Rule("AWS secret access key", p, 1) if p.groups else _Rule("AWS access key id", p)
        for p in AWSKeyDetector.denylist
    ]


def _jwt_rules() -> list[_Rule]:
    # detect-secrets' JWT pattern ends lazily and so stops before the signature; the same
    # shape is matched greedily here and checked with detect-secrets' own validator.
    pattern = re.compile(r"eyJ[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.?[A-Za-z0-9\-_.+/=]*")
    return [_Rule("JSON web token", pattern, accept=JwtTokenDetector.is_formally_valid)]


_RULES: tuple[_Rule, ...] = (
    # Most specific first: where two rules find overlapping text, the first one wins.
    _Rule(
        "private key",
        re.compile(
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:.*?-----END[A-Z0-9 ]*PRIVATE KEY-----|.*\Z)",
            re.DOTALL,
        ),
    ),
    _Rule("Pulumi access token", re.compile(r"pul-[0-9a-f]{40}")),
    _Rule("GitHub token", re.compile(r"github_pat_[A-Za-z0-9_]{22,}")),
    *_plugin(GitHubTokenDetector, "GitHub token"),
    *_plugin(GitLabTokenDetector, "GitLab token"),
    *_plugin(SlackDetector, "Slack token"),
    *_jwt_rules(),
    *_plugin(AzureStorageKeyDetector, "Azure storage account key"),
    *_plugin(BasicAuthDetector, "password in URL", group=1),
    _Rule(
        "AWS secret access key",
        re.compile(
            # Only the value is replaced, so the pattern starts at "secret" (whatever precedes
            # it): a literal start is what keeps one pass over 1 MiB quick.
            r"(?i:secret[_-]?access[_-]?key)[\"']?[ \t]*[:=][ \t]*[\"']?"
            rf"({_SECRET_40})"
        ),
        1,
    ),
    _Rule(
        "AWS secret access key",
        # Right after a key id (a credentials CSV, a table row), raw or already redacted.
        re.compile(
            rf"(?:{_KEY_ID}|\[redacted: AWS access key id\])[\"']?[\s,;:|=]{{1,8}}[\"']?"
            rf"({_SECRET_40})"
        ),
        1,
    ),
    _Rule("AWS access key id", re.compile(rf"\b{_KEY_ID}\b")),
    *_aws_rules(),
    *_plugin(StripeDetector),
    *_plugin(OpenAIDetector),
    *_plugin(PypiTokenDetector),
    *_plugin(NpmDetector, group=1),
    *_plugin(SendGridDetector),
    *_plugin(TwilioKeyDetector),
    *_plugin(DiscordBotTokenDetector),
    *_plugin(TelegramBotTokenDetector),
    *_plugin(MailchimpDetector),
    *_plugin(SquareOAuthDetector),
    *_plugin(PrivateKeyDetector, "private key"),
    _Rule(
        "secret",
        re.compile(
            # A name *ending* in one of the words: the word must be followed by the separator.
            # What comes before the word does not matter (only the value is replaced), and a
            # pattern that starts with the words is five times quicker than one that starts
            # with the name's first character.
            rf"(?:{_SECRET_WORDS})[\"']?[ \t]*[:=][ \t]*"
            r"(?:\"((?:[^\"\\\n]|\\.)*)\"|'((?:[^'\\\n]|\\.)*)'|([^\s\"',;|}\]]+))",
            re.IGNORECASE,
        ),
        -1,
        accept=lambda value: not _placeholder(value),
    ),
)


def redact_text(text: str, *, known: Iterable[str] = ()) -> tuple[str, int]:
    """Replace what looks like a secret in `text`, and every occurrence of a `known` value,
    with ``[redacted: <what>]``. Returns the new text and how many values were replaced.

    >>> redact_text("export SLACK=xoxb-1234-5678-abcdef")
    ('export SLACK=[redacted: Slack token]', 1)
    >>> redact_text("the token is s3cr3t-v4lue", known=["s3cr3t-v4lue"])
    ('the token is [redacted: secret]', 1)
    """
    return _redact(text, _known_rule(known))


def redact_json(value: JsonValue, *, known: Iterable[str] = ()) -> tuple[JsonValue, int]:
    """Redact every string in a JSON value (keys too), and the whole value of a key named like
    a secret (``{"password": "hunter2"}``). Returns a new value and the count.

    >>> redact_json({"env": ["AWS_KEY=AKIA" + "A" * 16]})
    ({'env': ['AWS_KEY=[redacted: AWS access key id]']}, 1)
    """
    known_rule = _known_rule(known)
    total = 0

    def text(s: str) -> str:
        nonlocal total
        out, n = _redact(s, known_rule)
        total += n
        return out

    def walk(node: JsonValue) -> JsonValue:
        nonlocal total
        if isinstance(node, str):
            return text(node)
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, Mapping):
            out: dict[str, JsonValue] = {}
            for key, item in node.items():
                if isinstance(item, str) and is_secret_name(key) and not _placeholder(item):
                    total += 1
                    out[text(key)] = MARK.format("secret")
                else:
                    out[text(key)] = walk(item)
            return out
        return node

    return walk(value), total


# --- finding ---------------------------------------------------------------------------------


def _known_rule(known: Iterable[str]) -> _Rule | None:
    values = sorted({v for v in known if v}, key=len, reverse=True)
    if not values:
        return None
    return _Rule("secret", re.compile("|".join(map(re.escape, values))))


def _redact(text: str, known: _Rule | None) -> tuple[str, int]:
    spans = _find(text, known)
    if not spans:
        return text, 0
    parts: list[str] = []
    last = 0
    for start, end, what in spans:
        parts += [text[last:start], MARK.format(what)]
        last = end
    parts.append(text[last:])
    return "".join(parts), len(spans)


def _find(text: str, known: _Rule | None) -> list[tuple[int, int, str]]:
    """The spans to replace, in order, none overlapping (an earlier rule wins a tie)."""
    taken: list[tuple[int, int, str]] = []  # kept sorted by start
    rules = (known, *_RULES) if known is not None else _RULES
    for rule in rules:
        for match in rule.pattern.finditer(text):
            group = rule.group
            if group < 0:
                group = next(i for i in range(1, match.re.groups + 1) if match.group(i) is not None)
            value = match.group(group)
            if value is None or (rule.accept is not None and not rule.accept(value)):
                continue
            start, end = match.span(group)
            if group == 0:
                end -= len(value) - len(value.rstrip(_TRAILING))
                start += len(value) - len(value.lstrip(_LEADING))
            if start < end:
                _take(taken, (start, end, rule.what))
    return taken


def _take(taken: list[tuple[int, int, str]], span: tuple[int, int, str]) -> None:
    """Insert `span` into the sorted, non-overlapping `taken` unless it overlaps a neighbour."""
    start, end, _ = span
    at = bisect.bisect_left(taken, span)
    if at > 0 and taken[at - 1][1] > start:
        return
    if at < len(taken) and taken[at][0] < end:
        return
    taken.insert(at, span)
