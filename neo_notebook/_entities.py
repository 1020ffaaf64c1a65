"""Entities: the stacks, repositories, pull requests and policy issues a task is about.

A person types short forms (``"project/stack"``, ``"github:org/repo"``); the API speaks JSON
objects with a ``type``. :func:`parse_entity` turns the first into typed values,
:func:`entity_from_json` and :func:`entity_to_json` cross the wire. An entity kind the API
adds later is kept as :class:`UnknownEntity`, never rejected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._errors import ConfigurationError

__all__ = [
    "Entity",
    "PolicyIssue",
    "PullRequest",
    "Repository",
    "Stack",
    "UnknownEntity",
    "entity_from_json",
    "entity_to_json",
    "parse_entity",
]

Forge = Literal["github", "gitlab", "bitbucket"]
FORGES: tuple[str, ...] = ("github", "gitlab", "bitbucket")
_FORGE_HOSTS = {"github.com": "github", "gitlab.com": "gitlab", "bitbucket.org": "bitbucket"}
_HOST_OF_FORGE = {forge: host for host, forge in _FORGE_HOSTS.items()}


@dataclass(frozen=True)
class Stack:
    """A Pulumi stack, ``project/name``."""

    project: str
    name: str
    type: Literal["stack"] = field(default="stack", init=False)

    def __str__(self) -> str:
        return f"{self.project}/{self.name}"


@dataclass(frozen=True)
class Repository:
    """A source repository on a forge (``github``, ``gitlab`` or ``bitbucket``)."""

    org: str
    name: str
    forge: str = "github"
    type: Literal["repository"] = field(default="repository", init=False)

    def __str__(self) -> str:
        return f"{self.forge}:{self.org}/{self.name}"

    @property
    def url(self) -> str | None:
        """The repository's web address on its forge, when the forge is a known one."""
        host = _HOST_OF_FORGE.get(self.forge)
        return f"https://{host}/{self.org}/{self.name}" if host else None


@dataclass(frozen=True)
class PullRequest:
    """A pull request Neo opened. Read-only: the API refuses it in an entity diff."""

    number: int
    repository: Repository | None = None
    merged: bool = False
    type: Literal["pull_request"] = field(default="pull_request", init=False)

    def __str__(self) -> str:
        return f"{self.repository or 'PR'}#{self.number}"

    @property
    def url(self) -> str | None:
        """The pull request's web address, when its repository is on a known forge."""
        base = self.repository.url if self.repository else None
        if not base:
            return None
        kind = "merge_requests" if self.repository and self.repository.forge == "gitlab" else "pull"
        sep = "/-/" if kind == "merge_requests" else "/"
        return f"{base}{sep}{kind}/{self.number}"


@dataclass(frozen=True)
class PolicyIssue:
    """A policy violation Neo was asked to look at."""

    id: str
    type: Literal["policy_issue"] = field(default="policy_issue", init=False)

    def __str__(self) -> str:
        return f"policy_issue:{self.id}"


@dataclass(frozen=True)
class UnknownEntity:
    """An entity kind this version does not know; its JSON is kept as it came."""

    type: str
    raw: Mapping[str, Any]

    def __str__(self) -> str:
        return f"{self.type}:{self.raw}"


Entity = Stack | Repository | PullRequest | PolicyIssue | UnknownEntity
EntityLike = Entity | str | Mapping[str, Any]

_NAME = r"[A-Za-z0-9_.\-]+"
_STACK_RE = re.compile(rf"^(?:stack:)?({_NAME})/({_NAME})$")
_REPO_RE = re.compile(rf"^({'|'.join(FORGES)}):({_NAME})/({_NAME})$")
_REPO_URL_RE = re.compile(
    rf"^https?://({'|'.join(map(re.escape, _FORGE_HOSTS))})/({_NAME})/({_NAME})/?$"
)


def parse_entity(value: EntityLike) -> Entity:
    """Turn what a person typed, an entity, or the API's JSON into an entity.

    Short forms: ``"project/stack"`` (or ``"stack:project/stack"``) for a stack;
    ``"github:org/repo"``, ``"gitlab:org/repo"``, ``"bitbucket:org/repo"`` or the repository's
    https URL for a repository; ``"policy_issue:ID"`` for a policy issue.

    >>> parse_entity("infra/prod")
    Stack(project='infra', name='prod', type='stack')
    >>> parse_entity("github:acme/platform")
    Repository(org='acme', name='platform', forge='github', type='repository')
    """
    if isinstance(value, (Stack, Repository, PullRequest, PolicyIssue, UnknownEntity)):
        return value
    if isinstance(value, Mapping):
        return entity_from_json(value, strict=True)
    if not isinstance(value, str):
        raise ConfigurationError(
            f"An entity must be a string such as 'project/stack' or 'github:org/repo', "
            f"got {type(value).__name__}"
        )
    text = value.strip()
    if m := _STACK_RE.match(text):
        return Stack(project=m[1], name=m[2])
    if m := _REPO_RE.match(text):
        return Repository(forge=m[1], org=m[2], name=m[3])
    if m := _REPO_URL_RE.match(text):
        return Repository(forge=_FORGE_HOSTS[m[1]], org=m[2], name=m[3].removesuffix(".git"))
    if text.startswith("policy_issue:") and len(text) > len("policy_issue:"):
        return PolicyIssue(id=text.split(":", 1)[1])
    raise ConfigurationError(
        f"Cannot read {value!r} as an entity. Use PROJECT/STACK for a stack (e.g. 'infra/prod'), "
        "FORGE:ORG/REPO for a repository (e.g. 'github:acme/platform'; forge is github, gitlab "
        "or bitbucket), or policy_issue:ID."
    )


def _repository_from_json(data: Mapping[str, Any]) -> Repository:
    return Repository(
        org=str(data.get("org", "")),
        name=str(data.get("name", "")),
        forge=str(data.get("forge") or "github"),
    )


def entity_from_json(data: Mapping[str, Any], *, strict: bool = False) -> Entity:
    """Read an entity as the API sends it; unknown kinds and odd shapes become UnknownEntity.

    With ``strict`` (input from a person), a known kind with missing fields is an error instead.
    """
    kind = data.get("type")
    try:
        if kind == "stack":
            return Stack(project=str(data["project"]), name=str(data["name"]))
        if kind == "repository":
            if strict and not (data.get("org") and data.get("name")):
                raise KeyError("org")
            return _repository_from_json(data)
        if kind == "pull_request":
            # The seed names the key `repository`, the current spec `repo`.
            repo = data.get("repository") or data.get("repo")
            return PullRequest(
                number=int(data["number"]),
                merged=bool(data.get("merged", False)),
                repository=_repository_from_json(repo) if isinstance(repo, Mapping) else None,
            )
        if kind == "policy_issue":
            return PolicyIssue(id=str(data["id"]))
    except (KeyError, TypeError, ValueError) as exc:
        if strict:
            raise ConfigurationError(
                f"The {kind} entity {dict(data)!r} is missing a field or has a wrong type ({exc})"
            ) from exc
    if strict and not isinstance(kind, str):
        raise ConfigurationError(f"An entity needs a 'type' field: {dict(data)!r}")
    return UnknownEntity(type=str(kind), raw=dict(data))


def entity_to_json(entity: Entity) -> dict[str, Any]:
    """The API's JSON for an entity."""
    if isinstance(entity, Stack):
        return {"type": "stack", "name": entity.name, "project": entity.project}
    if isinstance(entity, Repository):
        return {"type": "repository", "name": entity.name, "org": entity.org, "forge": entity.forge}
    if isinstance(entity, PullRequest):
        repo = entity.repository
        out: dict[str, Any] = {
            "type": "pull_request",
            "number": entity.number,
            "merged": entity.merged,
        }
        if repo:
            out["repository"] = {"name": repo.name, "org": repo.org, "forge": repo.forge}
        return out
    if isinstance(entity, PolicyIssue):
        return {"type": "policy_issue", "id": entity.id}
    return dict(entity.raw)


def entity_diff(
    add: Iterable[EntityLike] = (), remove: Iterable[EntityLike] = ()
) -> dict[str, Any]:
    """The ``entity_diff`` of a user message; pull requests are refused here, before sending."""
    out: dict[str, list[dict[str, Any]]] = {"add": [], "remove": []}
    for key, values in (("add", add), ("remove", remove)):
        if isinstance(values, (str, Mapping)):
            values = [values]
        for value in values:
            entity = parse_entity(value)
            if isinstance(entity, PullRequest):
                raise ConfigurationError(
                    f"Pull request entities are read-only: Neo attaches them when it opens a PR, "
                    f"and the API refuses them in an entity diff (got {entity}). Leave it out."
                )
            out[key].append(entity_to_json(entity))
    return out
