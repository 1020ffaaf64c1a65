from __future__ import annotations

import pytest

from neo_notebook import (
    ConfigurationError,
    PolicyIssue,
    PullRequest,
    Repository,
    Stack,
    UnknownEntity,
    parse_entity,
)
from neo_notebook._entities import entity_diff, entity_from_json, entity_to_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("infra/prod", Stack(project="infra", name="prod")),
        ("stack:infra/dev-2", Stack(project="infra", name="dev-2")),
        ("github:acme/platform", Repository(org="acme", name="platform")),
        ("gitlab:acme/platform", Repository(org="acme", name="platform", forge="gitlab")),
        ("bitbucket:a/b", Repository(org="a", name="b", forge="bitbucket")),
        ("https://github.com/acme/platform.git", Repository(org="acme", name="platform")),
        ("policy_issue:pi-123", PolicyIssue(id="pi-123")),
    ],
)
def test_short_forms(text: str, expected: object) -> None:
    assert parse_entity(text) == expected


@pytest.mark.parametrize("bad", ["prod", "a/b/c", "svn:acme/x", "github:acme", "", "policy_issue:"])
def test_bad_short_forms_explain_the_forms(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="PROJECT/STACK"):
        parse_entity(bad)


def test_json_round_trip_and_both_pr_shapes() -> None:
    for entity in (Stack("p", "s"), Repository("o", "n", "gitlab"), PolicyIssue("x")):
        assert entity_from_json(entity_to_json(entity)) == entity
    seed = {
        "type": "pull_request",
        "number": 7,
        "merged": True,
        "repository": {"name": "n", "org": "o", "forge": "github"},
    }
    current = {**seed, "repo": seed["repository"]}
    del current["repository"]
    for data in (seed, current):
        pr = entity_from_json(data)
        assert isinstance(pr, PullRequest)
        assert pr.url == "https://github.com/o/n/pull/7" and pr.merged


def test_unknown_kinds_are_kept() -> None:
    data = {"type": "environment", "name": "prod-env", "extra": [1]}
    entity = entity_from_json(data)
    assert isinstance(entity, UnknownEntity) and entity_to_json(entity) == data
    # a known kind with missing fields is kept too, never an exception
    assert isinstance(entity_from_json({"type": "stack"}), UnknownEntity)


def test_pull_requests_are_refused_in_a_diff() -> None:
    with pytest.raises(ConfigurationError, match="read-only"):
        entity_diff(add=[{"type": "pull_request", "number": 1}])
    assert entity_diff(add=["infra/prod"], remove="github:a/b") == {
        "add": [{"type": "stack", "name": "prod", "project": "infra"}],
        "remove": [{"type": "repository", "name": "b", "org": "a", "forge": "github"}],
    }
