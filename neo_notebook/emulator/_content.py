"""What the scripted agent says: task names, markdown answers and tool outputs.

Shared by the live agent (`_agent.py`) and the seeded history (`_history.py`) so both read the
same. The texts are deliberately realistic (headings, bullet lists, tables, fenced code) because
they are what the chat panel and the DataFrames are demonstrated on.
"""

from __future__ import annotations

import re

_CHANGE = re.compile(
    r"\b(chang\w*|fix\w*|updat\w*|optimi[sz]\w*|appl(?:y|ies|ied)|deploy\w*|creat\w*|"
    r"upgrad\w*|prs?|pull[ -]requests?|approv\w*)\b",
    re.IGNORECASE,
)


def asks_for_change(message: str) -> bool:
    """Whether `message` asks Neo to change something (so it must ask for approval first)."""
    return _CHANGE.search(message) is not None


def task_name(message: str) -> str:
    """A short task name from the first line of `message`, the way Neo titles a task."""
    line = message.strip().splitlines()[0] if message.strip() else "New task"
    words = line.rstrip(" .?!").split()
    name = " ".join(words[:8])
    if len(name) > 60:
        name = name[:59].rstrip() + "…"
    return name[:1].upper() + name[1:]


def analysis(project: str, stack: str, resources: int) -> str:
    """The turn's opening message: what Neo looks at first, in markdown."""
    return (
        f"## Looking at `{project}/{stack}`\n\n"
        "I'll start from the stack's current state before suggesting anything.\n\n"
        f"- **Stack:** `{project}/{stack}`\n"
        f"- **Resources under management:** {resources}\n"
        "- **Plan:** preview the stack, then compare it with the program\n\n"
        "| Resource type | Count |\n"
        "|---|---|\n"
        f"| `aws:ec2:Instance` | {max(1, resources // 9)} |\n"
        f"| `aws:s3:BucketV2` | {max(1, resources // 6)} |\n"
        f"| `aws:iam:Role` | {max(1, resources // 4)} |\n\n"
        "```bash\n"
        f"pulumi preview --stack {stack} --diff\n"
        "```"
    )


def preview_output(org: str, project: str, stack: str, unchanged: int) -> str:
    """What `pulumi preview` prints for the stack."""
    return (
        f"Previewing update ({org}/{project}/{stack})\n\n"
        "     Type                      Name                Plan       Info\n"
        f"     pulumi:pulumi:Stack       {project}-{stack}\n"
        " ~   ├─ aws:ec2:Instance       web-server          update     [diff: ~instanceType]\n"
        " +   └─ aws:s3:BucketV2        access-logs         create\n\n"
        "Resources:\n"
        "    + 1 to create\n"
        "    ~ 1 to update\n"
        f"    2 changes. {unchanged} unchanged\n"
    )


def tool_output(tool: str, org: str, project: str, stack: str, unchanged: int) -> str:
    """Canned output of one of the tools the seeded history uses."""
    if tool == "pulumi_preview":
        return preview_output(org, project, stack, unchanged)
    if tool == "pulumi_up":
        return (
            f"Updating ({org}/{project}/{stack})\n\n"
            " ~   aws:ec2:Instance web-server updated (14s) [diff: ~instanceType]\n\n"
            f"Resources:\n    ~ 1 updated\n    {unchanged} unchanged\n\nDuration: 21s\n"
        )
    if tool == "get_stack_resources":
        return (
            f'[{{"type": "aws:ec2:Instance", "name": "web-server", "stack": "{stack}"}}, '
            '{"type": "aws:s3:BucketV2", "name": "assets"}, '
            '{"type": "aws:iam:Role", "name": "deployer"}]'
        )
    if tool == "search_code":
        return (
            'index.ts:14:    instanceType: "t3.large",\n'
            'index.ts:31:    const bucket = new aws.s3.BucketV2("assets", {\n'
            f"Pulumi.{stack}.yaml:3:  aws:region: us-west-2\n"
        )
    if tool == "read_file":
        return 'import * as aws from "@pulumi/aws";\n\nconst size = "t3.large";\n'
    if tool == "create_pull_request":
        return "Pull request created."
    return "ok"


def answer(project: str, stack: str) -> str:
    """The final answer of a turn that changed nothing."""
    return (
        "### Summary\n\n"
        f"The preview of `{project}/{stack}` shows **2 pending changes** and no drift:\n\n"
        "| Resource | Change |\n"
        "|---|---|\n"
        "| `web-server` | instance type `t3.large` → `t3.medium` |\n"
        "| `access-logs` | new bucket for access logs |\n\n"
        "- Nothing is deployed until you ask for it.\n"
        "- Ask me to *apply* or *open a pull request* and I'll prepare the change."
    )


def change_description(project: str, stack: str, repository: str) -> str:
    """What an approval request asks for."""
    return f"Create a pull request in {repository} that right-sizes `{project}/{stack}`"


def pull_request_opened(number: int, url: str, project: str, stack: str) -> str:
    """The final message after a pull request was opened."""
    return (
        f"Opened pull request #{number}: [{url}]({url})\n\n"
        f"It right-sizes `web-server` in `{project}/{stack}`. The preview on the PR shows the "
        "same two changes; merge it when the checks pass."
    )


def declined(instructions: str | None) -> str:
    """The final message after the user declined an approval request."""
    if instructions:
        return (
            f"Understood, I won't open the pull request. Next I'll do this instead: {instructions}"
        )
    return "Understood, I won't open the pull request. Nothing was changed."
