"""Secret redaction: each kind of secret goes, ordinary text stays, known values go everywhere.

Every secret here is built at run time from pieces, so no scanner mistakes this file for a leak.
"""

from __future__ import annotations

import base64
import json
import time

import pytest

from neo_notebook._redaction import is_secret_name, redact_json, redact_text


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


PULUMI = "pul-" + "0123456789abcdef" * 2 + "01234567"
KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB_CLASSIC = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" + "K1l2M3n4O5p6Q7r8"
GITHUB_FINE = "github_pat_" + "11ABCDEFG0123456789abc_" + "x" * 59
SLACK = "xoxb-" + "1234567890-1234567890123-" + "abcdefghijklmnopqrstuvwx"
JWT = ".".join([_b64({"alg": "HS256", "typ": "JWT"}), _b64({"sub": "42"}), "c2lnbmF0dXJl"])
AZURE_KEY = "Zm9v" * 21 + "Ym=="  # 86 characters and "=="
AZURE = (
    f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={AZURE_KEY};"
    "EndpointSuffix=core.windows.net"
)
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAbCd\n-----END RSA PRIVATE KEY-----"
STRIPE = "sk_" + "live_" + "0123456789abcdefABCDEFGH"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token: {PULUMI}", "token: [redacted: Pulumi access token]"),
        (f"id {KEY_ID} here", "id [redacted: AWS access key id] here"),
        (
            f"aws_secret_access_key = {SECRET_KEY}",
            "aws_secret_access_key = [redacted: AWS secret access key]",
        ),
        (f'aws_key = "{SECRET_KEY}"', 'aws_key = "[redacted: AWS secret access key]"'),
        (f"key:\n{PRIVATE_KEY}\nend", "key:\n[redacted: private key]\nend"),
        ("password: hunter2", "password: [redacted: secret]"),
        (f"cloning with {GITHUB_CLASSIC}", "cloning with [redacted: GitHub token]"),
        (f"GH={GITHUB_FINE} next", "GH=[redacted: GitHub token] next"),
        (f"slack {SLACK}.", "slack [redacted: Slack token]."),
        (f"Authorization: Bearer {JWT}", "Authorization: Bearer [redacted: JSON web token]"),
        (AZURE, AZURE.replace(f"AccountKey={AZURE_KEY}", "[redacted: Azure storage account key]")),
        (
            "DATABASE_URL=postgres://admin:Sup3rS3cret@db/app",
            "DATABASE_URL=postgres://admin:[redacted: password in URL]@db/app",
        ),
        (f"stripe {STRIPE}", "stripe [redacted: Stripe Access Key]"),
        # Two kinds in one line, and a secret glued to other text.
        (f"{PULUMI}{SLACK}", "[redacted: Pulumi access token][redacted: Slack token]"),
    ],
)
def test_each_kind_of_secret_is_redacted(text: str, expected: str) -> None:
    assert redact_text(text) == (expected, expected.count("[redacted"))


@pytest.mark.parametrize(
    "text",
    [
        "def area(width: float, height: float) -> float:\n    return width * height\n",
        "for (let i = 0; i < items.length; i++) { total += items[i].price; }",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        # Lockfile hashes: npm's integrity, pip's and poetry's sha256.
        '"integrity": "sha512-' + "Zm9v" * 21 + 'YmE=="',
        "requests==2.32.3 --hash=sha256:"
        "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6",
        '{file = "x.whl", hash = "sha256:'
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}',
        "input_tokens: 1200\ntoken_usage: 3\nsecret_name: prod-db\nsecrets: 4",
        "password: null\npassword: ''\npassword: ${DB_PASSWORD}",
        "https://user@github.com/org/repo.git and https://example.org/a:b",
        "eyJhbGciOi.not-json.at-all",  # JWT-shaped, but detect-secrets' validator says no
        "urn:pulumi:dev::app::aws:s3/bucket:Bucket::assets",
        "instance i-0abcdef1234567890 in vpc-0a1b2c3d",
    ],
)
def test_ordinary_text_is_not_redacted(text: str) -> None:
    assert redact_text(text) == (text, 0)


@pytest.mark.parametrize(
    "text",
    [
        # Documented false positives: a secret-like name followed by code, not a value.
        "token = get_token()",
        # Any user:password URL, even a harmless one.
        "http://guest:guest@localhost:15672",
    ],
)
def test_known_false_positives_are_redacted(text: str) -> None:
    assert redact_text(text)[1] == 1


def test_known_values_go_everywhere_whatever_they_look_like() -> None:
    text = "a=plainvalue b=plainvalue-and-more c=other"
    assert redact_text(text, known=["plainvalue", ""]) == (
        "a=[redacted: secret] b=[redacted: secret]-and-more c=other",
        2,
    )
    # The longest known value wins where two overlap.
    assert redact_text("abcdef", known=["abc", "abcdef"]) == ("[redacted: secret]", 1)


def test_redact_json_walks_values_and_keys() -> None:
    value = {
        "password": "hunter2",
        "db_password": None,
        "env": [f"TOKEN={PULUMI}", {"nested": SLACK}],
        PULUMI: 1,
        "count": 3,
        "on": True,
        "passwordless": "yes",
    }
    out, n = redact_json(value, known=["yes"])
    assert out == {
        "password": "[redacted: secret]",
        "db_password": None,
        "env": ["TOKEN=[redacted: Pulumi access token]", {"nested": "[redacted: Slack token]"}],
        "[redacted: Pulumi access token]": 1,
        "count": 3,
        "on": True,
        "passwordless": "[redacted: secret]",
    }
    assert n == 5
    assert value["password"] == "hunter2"  # the input is not changed


def test_secret_names() -> None:
    assert [is_secret_name(n) for n in ("clientSecret", "GITHUB_TOKEN", "api-key")] == [True] * 3
    assert [is_secret_name(n) for n in ("secret_name", "input_tokens", "tokens")] == [False] * 3


def test_redaction_is_idempotent() -> None:
    once, _ = redact_text(f"password: {PULUMI} {KEY_ID},{SECRET_KEY}")
    assert redact_text(once) == (once, 0)


def test_one_mebibyte_of_output_is_redacted_quickly() -> None:
    line = "2024-01-01T00:00:00Z INFO GET /api/v1/items/123 status=200 took=12ms\n"
    text = line * ((1 << 20) // len(line)) + f"token: {PULUMI}\n"
    start = time.perf_counter()
    out, n = redact_text(text)
    elapsed = time.perf_counter() - start
    assert n == 1 and PULUMI not in out
    assert elapsed < 2.0, f"{elapsed:.2f} s for 1 MiB"  # ~0.25 s here; generous for slow CI
