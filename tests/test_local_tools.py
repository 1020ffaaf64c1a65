"""Neo's local tools: the workspace policy, the sandbox, and every filesystem tool's result shape
against the CLI contract (/work/shared/neo-cli-mode.md, pulumi/pulumi pkg/cmd/pulumi/neo/tools).

The workspace lives under pytest's tmp_path, which is itself under /tmp, one of the CLI's
allowed roots; so the `ws` fixture narrows the temp roots to a separate directory, and an
escape test cannot pass merely because /tmp is allowed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from neo_notebook._errors import ConfigurationError
from neo_notebook._local_tools import (
    KINDS,
    TOOLS,
    Workspace,
    _grep,
    _paths,
    preview_change,
    run_tool,
    tool_kind,
)
from neo_notebook._local_tools._outcome import MAX_OUTPUT_BYTES


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The one temp dir tools may use besides the workspace."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(_paths, "temp_dirs", lambda: [str(scratch)])
    return scratch


@pytest.fixture
def ws(tmp_path: Path, scratch: Path) -> Workspace:
    root = tmp_path / "project"
    root.mkdir()
    return Workspace(root, allow=KINDS)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret.txt").write_text("top secret\n")
    return out


def call(ws: Workspace, name: str, **args: object) -> object:
    return run_tool(ws, name, args).content


# --- the workspace -----------------------------------------------------------------------------


def test_workspace_resolves_its_root_and_reads_allow_in_both_forms(ws: Workspace) -> None:
    w = Workspace(ws.root, allow="read, write")
    assert w.root.is_absolute() and w.allow == {"read", "write"}
    assert Workspace(ws.root).allow == {"read"}
    assert Workspace(ws.root, allow=["shell"]).allow == {"shell"}
    assert repr(w) == f"Workspace({str(ws.root)!r}, allow='read,write')"


@pytest.mark.parametrize(
    ("path", "allow", "message"),
    [
        ("missing", ("read",), "does not exist"),
        ("file.txt", ("read",), "is not a directory"),
        (".", ("read", "delete"), "unknown allow value 'delete': choose from read, write, shell"),
        (".", "read,everything", "unknown allow value 'everything'"),
    ],
)
def test_workspace_refuses_bad_input_at_once(
    ws: Workspace, path: str, allow: object, message: str
) -> None:
    (ws.root / "file.txt").write_text("x")
    with pytest.raises(ValueError, match=message) as info:
        Workspace(ws.root / path, allow=allow)  # type: ignore[arg-type]
    assert isinstance(info.value, ConfigurationError)


def test_every_tool_has_a_kind() -> None:
    assert {tool_kind(name) for name in TOOLS} == set(KINDS)
    assert tool_kind("web_search__query") is None


@pytest.mark.parametrize(
    ("name", "allow", "read_only", "granted", "verdict"),
    [
        ("filesystem__read", "read", False, (), "run"),
        ("filesystem__write", "read", False, (), "ask"),
        ("filesystem__write", "read", False, ("write",), "run"),
        ("filesystem__write", "read,write", True, (), "refuse"),
        ("pulumi__pulumi_up", "read,up", True, (), "refuse"),
        ("pulumi__pulumi_preview", "read", True, (), "ask"),
        ("shell__shell_execute", "read,shell", True, (), "run"),
        ("todo__TodoWrite", "read", False, (), "run"),  # run_tool answers "not available"
    ],
)
def test_decide(
    ws: Workspace,
    name: str,
    allow: str,
    read_only: bool,
    granted: tuple[str, ...],
    verdict: str,
) -> None:
    w = Workspace(ws.root, allow=allow)
    decision = w.decide(name, read_only=read_only, granted=granted)  # type: ignore[arg-type]
    assert decision.verdict == verdict
    assert (decision.refusal_text == "") == (verdict == "run")


def test_an_ask_says_how_to_allow_it(ws: Workspace) -> None:
    decision = Workspace(ws.root).decide("shell__shell_execute")
    assert decision.kind == "shell"
    assert "not allowed in the workspace" in decision.refusal_text
    assert f"Workspace({str(ws.root)!r}, allow=('read', 'shell',))" in decision.refusal_text
    assert decision.refusal_text.endswith("%%neo --local --allow read,shell")


# --- the sandbox -------------------------------------------------------------------------------


def escape_cases(ws: Workspace, outside: Path) -> list[tuple[str, str]]:
    (ws.root / "link_out").symlink_to(outside)
    (ws.root / "file_link").symlink_to(outside / "secret.txt")
    return [
        ("../outside/secret.txt", "is outside the allowed roots"),
        (str(outside / "secret.txt"), "is outside the allowed roots"),
        ("link_out/secret.txt", "is outside the allowed roots"),
        ("file_link", "is outside the allowed roots"),
        ("link_out/new/deeper.txt", "is outside the allowed roots"),  # under a symlinked dir
        ("sub/../../outside/x.txt", "is outside the allowed roots"),
        ("/etc/passwd", "is outside the allowed roots"),
        ("", "path is required"),
    ]


def test_escapes_are_refused_by_every_path_tool(ws: Workspace, outside: Path) -> None:
    before = sorted(p.name for p in outside.rglob("*"))
    for path, message in escape_cases(ws, outside):
        calls = {
            "filesystem__read": {"file_path": path},
            "filesystem__write": {"file_path": path, "content": "pwned"},
            "filesystem__edit": {"file_path": path, "old_string": "", "new_string": "pwned"},
            "filesystem__directory_tree": {"path": path},
            "filesystem__content_replace": {"pattern": "top", "replacement": "x", "path": path},
        }
        if path:
            calls["filesystem__grep"] = {"pattern": "top", "path": path}
            calls["shell__shell_execute"] = {"command": "touch pwned", "cwd": path}
        for name, args in calls.items():
            outcome = run_tool(ws, name, args)
            assert outcome.is_error, (name, path)
            # A cwd must exist: a missing one is refused before its place is checked.
            missing = name.startswith("shell") and "no such file" in str(outcome.content)
            assert message in str(outcome.content) or missing, (name, path, outcome.content)
    # Nothing was written or changed outside.
    assert sorted(p.name for p in outside.rglob("*")) == before
    assert (outside / "secret.txt").read_text() == "top secret\n"


def test_the_error_names_the_joined_path_and_the_roots(ws: Workspace, scratch: Path) -> None:
    outcome = run_tool(ws, "filesystem__read", {"file_path": "/etc/hostname"})
    assert outcome.content == {
        "error": f'path "/etc/hostname" is outside the allowed roots [{ws.root} {scratch}]'
    }
    # A relative path is the workspace's: the temp dirs are roots for absolute paths only.
    outcome = run_tool(ws, "filesystem__read", {"file_path": "../x"})
    parent = ws.root.parent
    assert outcome.content == {
        "error": f'path "{parent}/x" is outside the allowed roots [{ws.root}]'
    }


def test_dot_dot_never_leaves_the_workspace_even_for_the_temp_dir(
    ws: Workspace, scratch: Path
) -> None:
    relative = os.path.relpath(scratch / "leak.txt", ws.root)
    assert relative.startswith("..")
    outcome = run_tool(ws, "filesystem__write", {"file_path": relative, "content": "x"})
    assert outcome.is_error and "outside the allowed roots" in str(outcome.content)
    assert not (scratch / "leak.txt").exists()
    # Named absolutely, the temp dir is allowed, as in the CLI.
    absolute = run_tool(
        ws, "filesystem__write", {"file_path": str(scratch / "ok.txt"), "content": "x"}
    )
    assert not absolute.is_error and (scratch / "ok.txt").read_text() == "x"


def test_the_temp_dir_and_symlinks_inside_are_allowed(ws: Workspace, scratch: Path) -> None:
    (ws.root / "real").mkdir()
    (ws.root / "real" / "f.txt").write_text("inside")
    (ws.root / "alias").symlink_to(ws.root / "real")
    assert call(ws, "filesystem__read", file_path="alias/f.txt") == {"content": "inside"}
    target = scratch / "out.txt"
    assert call(ws, "filesystem__write", file_path=str(target), content="ok") == {
        "bytes_written": 2
    }
    assert target.read_text() == "ok"


# --- read and write ----------------------------------------------------------------------------


def test_read_with_offset_and_limit(ws: Workspace) -> None:
    (ws.root / "f.txt").write_text("a\nb\nc\nd\n")
    assert call(ws, "filesystem__read", file_path="f.txt") == {"content": "a\nb\nc\nd\n"}
    assert call(ws, "filesystem__read", file_path="f.txt", offset=1, limit=2) == {"content": "b\nc"}
    assert call(ws, "filesystem__read", file_path="f.txt", offset=9) == {"content": ""}
    assert call(ws, "filesystem__read", file_path=str(ws.root / "f.txt"), limit=1) == {
        "content": "a"
    }


def test_read_of_a_missing_file_and_invalid_utf8(ws: Workspace) -> None:
    outcome = run_tool(ws, "filesystem__read", {"file_path": "nope.txt"})
    assert outcome.is_error
    assert outcome.content == {"error": f"open {ws.root}/nope.txt: no such file or directory"}
    (ws.root / "bad.txt").write_bytes(b"ok \xff\xfe end")
    assert call(ws, "filesystem__read", file_path="bad.txt") == {"content": "ok \ufffd\ufffd end"}


def test_write_creates_parents_overwrites_and_counts_bytes(ws: Workspace) -> None:
    assert call(ws, "filesystem__write", file_path="a/b/c.txt", content="héllo") == {
        "bytes_written": 6
    }
    outcome = run_tool(ws, "filesystem__write", {"file_path": "a/b/c.txt", "content": "bye"})
    assert (ws.root / "a/b/c.txt").read_text() == "bye"
    assert outcome.diff is not None and "-héllo" in outcome.diff and "+bye" in outcome.diff


# --- directory_tree ----------------------------------------------------------------------------


def test_directory_tree_depth_and_sorting(ws: Workspace) -> None:
    for rel in ("b/x/deep.txt", "a.txt", ".hidden/h.txt", "b/y.txt"):
        (ws.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws.root / rel).write_text("x")
    assert call(ws, "filesystem__directory_tree", path=".") == {
        "entries": [
            {"name": ".hidden", "is_dir": True},
            {"name": "a.txt", "is_dir": False},
            {"name": "b", "is_dir": True},
        ]
    }
    names = [
        e["name"] for e in call(ws, "filesystem__directory_tree", path="b", depth=2)["entries"]
    ]  # type: ignore[index]
    assert names == ["x", "x/deep.txt", "y.txt"]
    assert call(ws, "filesystem__directory_tree", path="a.txt") == {"entries": []}


# --- edit --------------------------------------------------------------------------------------


def test_edit_answers_the_cli_text_and_diff(ws: Workspace) -> None:
    (ws.root / "m.py").write_text("one\ntwo\nthree\n")
    outcome = run_tool(
        ws, "filesystem__edit", {"file_path": "m.py", "old_string": "two", "new_string": "2"}
    )
    assert not outcome.is_error
    assert outcome.content == (
        "Successfully edited file: m.py (1 replacements applied)\n\n"
        "```diff\n"
        "--- m.py (original)\n"
        "+++ m.py (modified)\n"
        "@@ -1,4 +1,4 @@\n"
        " one\n"
        "-two\n"
        "+2\n"
        " three\n"
        " \n"
        "```\n"
    )
    assert (ws.root / "m.py").read_text() == "one\n2\nthree\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            {"old_string": "zzz", "new_string": "y"},
            "Error: The specified old_string was not found in the file content. Please check "
            "that it matches exactly, including all whitespace and indentation.",
        ),
        (
            {"old_string": "a", "new_string": "b"},
            "Error: Found 3 occurrences of the specified old_string, but expected 1. Change "
            "your old_string to uniquely identify the target text, or set "
            "expected_replacements=3 to replace all occurrences.",
        ),
        (
            {"old_string": "  ", "new_string": "b"},
            "Error: Parameter 'old_string' cannot be empty for existing files",
        ),
        (
            {"old_string": "a", "new_string": "b", "expected_replacements": -1},
            "Error: Parameter 'expected_replacements' must be a non-negative number",
        ),
        (
            {"old_string": "a", "new_string": "a", "expected_replacements": 3},
            "No changes made to file: f.txt",
        ),
    ],
)
def test_edit_mismatches_are_strings_and_change_nothing(
    ws: Workspace, args: dict[str, object], expected: str
) -> None:
    (ws.root / "f.txt").write_text("a a a\n")
    outcome = run_tool(ws, "filesystem__edit", {"file_path": "f.txt", **args})
    assert outcome.content == expected and not outcome.is_error
    assert (ws.root / "f.txt").read_text() == "a a a\n"


def test_edit_creates_a_missing_file_and_refuses_binary(ws: Workspace) -> None:
    outcome = run_tool(
        ws, "filesystem__edit", {"file_path": "n/new.txt", "old_string": "", "new_string": "hé"}
    )
    assert outcome.content == "Successfully created file: n/new.txt (3 bytes)"
    (ws.root / "bin.dat").write_bytes(b"\xff\x00abc")
    assert call(ws, "filesystem__edit", file_path="bin.dat", old_string="abc", new_string="x") == (
        "Error: Cannot edit binary file: bin.dat"
    )


def test_preview_change_touches_nothing(ws: Workspace) -> None:
    (ws.root / "f.txt").write_text("alpha\nbeta\n")
    diff = preview_change(
        ws, "filesystem__edit", {"file_path": "f.txt", "old_string": "beta", "new_string": "B"}
    )
    assert diff is not None and "-beta\n+B\n" in diff
    write = {"file_path": "f.txt", "content": "alpha\n"}
    assert "-beta" in (preview_change(ws, "filesystem__write", write) or "")
    assert preview_change(ws, "filesystem__write", {"file_path": "g.txt", "content": "1\n2\n"}) == (
        "new file, 2 lines"
    )
    replace = {"pattern": "alpha", "replacement": "A", "path": "."}
    assert "+A" in (preview_change(ws, "filesystem__content_replace", replace) or "")
    assert preview_change(ws, "filesystem__read", {"file_path": "f.txt"}) is None
    assert preview_change(ws, "filesystem__write", {"file_path": "../x", "content": ""}) is None
    assert (ws.root / "f.txt").read_text() == "alpha\nbeta\n"
    assert not (ws.root / "g.txt").exists()


# --- content_replace ---------------------------------------------------------------------------


def test_content_replace_result_shape_and_dry_run(ws: Workspace) -> None:
    (ws.root / "a.txt").write_text("foo foo\n")
    (ws.root / "b.py").write_text("foo\n")
    (ws.root / "node_modules").mkdir()
    (ws.root / "node_modules" / "c.txt").write_text("foo\n")
    dry = call(
        ws, "filesystem__content_replace", pattern="foo", replacement="bar", path=".", dry_run=True
    )
    assert dry == {
        "content": "Dry run: 3 replacements of 'foo' with 'bar' would be made in 2 files:\n\n"
        f"{ws.root}/a.txt: 2 replacements\n{ws.root}/b.py: 1 replacements\n",
        "replacements_made": 3,
        "files_modified": 2,
        "dry_run": True,
    }
    assert (ws.root / "a.txt").read_text() == "foo foo\n"
    done = call(
        ws,
        "filesystem__content_replace",
        pattern="foo",
        replacement="bar",
        path=".",
        file_pattern="*.txt",
    )
    assert done == {
        "content": f"Made 2 replacements of 'foo' with 'bar' in 1 files:\n\n"
        f"{ws.root}/a.txt: 2 replacements\n",
        "replacements_made": 2,
        "files_modified": 1,
        "dry_run": False,
    }
    assert (ws.root / "a.txt").read_text() == "bar bar\n"
    assert (ws.root / "node_modules" / "c.txt").read_text() == "foo\n"
    missing = run_tool(
        ws, "filesystem__content_replace", {"pattern": "zzz", "replacement": "", "path": "."}
    )
    assert missing.is_error
    assert missing.content == {"error": 'pattern "zzz" not found in any matching file'}


# --- grep --------------------------------------------------------------------------------------


@pytest.fixture(params=["ripgrep", "python"])
def grep_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "python":
        monkeypatch.setattr(_grep, "ripgrep_path", lambda: None)
    elif _grep.ripgrep_path() is None:
        pytest.fail("the ripgrep wheel is a dependency; its rg binary should be installed")
    return str(request.param)


def make_tree(root: Path) -> None:
    files = {
        "b.py": "import os\nx = 1  # TODO tidy\r\n",
        "a.txt": "nothing here\nTODO: one\nTODO: two\n",
        "sub/c.py": "def f():\n    pass  # TODO\n",
        ".hidden/h.py": "TODO hidden dir\n",
        ".dotfile": "TODO dotfile\n",
        "node_modules/m.js": "// TODO vendored\n",
        "img.bin": None,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            path.write_bytes(b"TODO\x00binary")
        else:
            path.write_bytes(text.encode())


def test_grep_matches_the_cli(ws: Workspace, grep_engine: str) -> None:
    make_tree(ws.root)
    r = ws.root
    expected = (
        "Found 5 matches in 4 file(s):\n\n"
        f"{r}/.dotfile:1: TODO dotfile\n"
        f"{r}/a.txt:2: TODO: one\n"
        f"{r}/a.txt:3: TODO: two\n"
        f"{r}/b.py:2: x = 1  # TODO tidy\n"
        f"{r}/sub/c.py:2:     pass  # TODO\n"
    )
    assert call(ws, "filesystem__grep", pattern="TODO") == {"content": expected}
    assert call(ws, "filesystem__grep", pattern="TODO", include="*.py", path="sub") == {
        "content": f"Found 1 matches in 1 file(s):\n\n{r}/sub/c.py:2:     pass  # TODO\n"
    }
    # Naming a hidden directory searches it.
    assert "hidden dir" in str(call(ws, "filesystem__grep", pattern="TODO", path=".hidden"))
    assert call(ws, "filesystem__grep", pattern="tidy$") == {
        "content": f"Found 1 matches in 1 file(s):\n\n{r}/b.py:2: x = 1  # TODO tidy\n"
    }
    assert call(ws, "filesystem__grep", pattern="absent") == {"content": "No matches found."}
    bad = run_tool(ws, "filesystem__grep", {"pattern": "("})
    assert bad.is_error and str(bad.content).startswith("{'error': 'invalid regex \"(\"")


def test_grep_output_is_capped(ws: Workspace, grep_engine: str) -> None:
    line = "match " + "x" * 200 + "\n"
    (ws.root / "big.txt").write_text(line * 6000)  # ~1.2 MB of matching lines
    outcome = run_tool(ws, "filesystem__grep", {"pattern": "match"})
    content = outcome.content
    assert isinstance(content, dict) and content["truncated"] is True
    assert str(content["content"]).startswith("Found 6000 matches in 1 file(s):")
    assert len(str(content["content"]).encode()) == MAX_OUTPUT_BYTES


# --- the registry ------------------------------------------------------------------------------


def test_unknown_tools_and_grep_ast(ws: Workspace) -> None:
    for name in ("todo__TodoWrite", "nonsense", "filesystem__delete"):
        outcome = run_tool(ws, name, {})
        assert outcome.is_error
        assert outcome.content == {"error": f'tool "{name}" is not available in CLI mode'}
    assert run_tool(ws, "filesystem__grep_ast", {"pattern": "x"}).content == {
        "error": 'filesystem method "grep_ast" is not yet implemented in pulumi neo CLI mode'
    }


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("filesystem__read", {}, "argument 'file_path' is required"),
        ("filesystem__read", {"file_path": 3}, "argument 'file_path' must be a string"),
        ("filesystem__read", {"file_path": "a", "offset": "2"}, "'offset' must be an integer"),
        ("filesystem__write", {"file_path": "a"}, "argument 'content' is required"),
        ("filesystem__grep", {"pattern": ""}, "pattern is required"),
        ("filesystem__content_replace", {"pattern": "a", "replacement": "b"}, "path is required"),
        ("shell__shell_execute", {"command": ""}, "requires a non-empty command"),
        ("shell__shell_execute", {"command": "true", "timeout": -1}, "must be non-negative"),
        ("shell__shell_execute", {"command": "true", "timeout": "x"}, "must be a number"),
        ("filesystem__read", ["not", "an", "object"], "arguments must be a JSON object"),
    ],
)
def test_malformed_arguments_are_error_results(
    ws: Workspace, name: str, args: object, message: str
) -> None:
    outcome = run_tool(ws, name, args)
    assert outcome.is_error
    assert isinstance(outcome.content, dict) and message in str(outcome.content["error"])


def test_an_unexpected_failure_is_still_an_answer(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setitem(TOOLS, "filesystem__read", broken)  # type: ignore[arg-type]
    outcome = run_tool(ws, "filesystem__read", {"file_path": "a"})
    assert outcome.is_error and "RuntimeError: boom" in str(outcome.content)


@pytest.fixture(autouse=True)
def _no_stray_cwd_change() -> Iterator[None]:
    cwd = os.getcwd()
    yield
    assert os.getcwd() == cwd
