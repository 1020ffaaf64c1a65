"""What the scripted agent says: task names, markdown answers and tool outputs.

Shared by the live agent (`_agent.py`) and the seeded history (`_history.py`) so both read the
same. The texts are deliberately realistic (headings, bullet lists, tables, fenced code) because
they are what the chat panel and the DataFrames are demonstrated on.
"""

from __future__ import annotations

import re

_CHANGE = re.compile(
    r"\b(chang\w*|fix\w*|updat\w*|optimi[sz]\w*|appl(?:y|ies|ied)|deploy\w*|creat\w*|"
    r"upgrad\w*|prs?|pull[ -]requests?|approv\w*|right-?siz\w*|resiz\w*|downsiz\w*)\b",
    re.IGNORECASE,
)


def asks_for_change(message: str) -> bool:
    """Whether `message` asks Neo to change something (so it must ask for approval first)."""
    return _CHANGE.search(message) is not None


_ATTACHED = re.compile(r"### Attached: (.+) \((.+)\)")
_TABLE = re.compile(r"DataFrame ([\d,]+)\N{MULTIPLICATION SIGN}([\d,]+)")
_FENCE = re.compile(r"(`{3,}|~{3,})")


def split_attachments(message: str) -> tuple[str, list[tuple[str, str]]]:
    """The question of a message, and the (name, description) of each section attached to it.

    A section starts with a ``### Attached: name (description)`` line outside a fenced block
    (neo_notebook's ``compose``); what is inside a fence is data, so it never counts.
    """
    question: list[str] = []
    attached: list[tuple[str, str]] = []
    fence = ""
    for line in message.splitlines():
        heading = None if fence else _ATTACHED.fullmatch(line)
        if heading:
            attached.append((heading.group(1), heading.group(2)))
        elif not attached:
            question.append(line)
        bare = line.strip()
        if fence:
            if len(bare) >= len(fence) and bare == fence[0] * len(bare):
                fence = ""
        elif opening := _FENCE.match(line):
            fence = opening.group(1)
    return "\n".join(question).strip(), attached


def attachments_read(attached: list[tuple[str, str]]) -> str:
    """What Neo says it read, one line per attachment."""
    lines = []
    for name, description in attached:
        table = _TABLE.fullmatch(description)
        if table:
            rows, columns = table.groups()
            lines.append(
                f"I read the table you attached, {name}: {rows} rows \N{MULTIPLICATION SIGN} "
                f"{columns} columns."
            )
        else:
            lines.append(f"I read what you attached, {name} ({description}).")
    return "\n".join(lines)


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


def local_opening(message: str) -> str:
    """The opening message of a CLI-mode request: Neo works in the user's workspace."""
    goal = message.strip().splitlines()[0].rstrip(".") if message.strip() else "your request"
    return (
        "## Working in your workspace\n\n"
        f"> {goal}\n\n"
        "I'll run tools on your machine through your client: list the workspace, read the "
        "Pulumi program, search it, and preview the stack. Every tool call shows up here with "
        "its result."
    )


def sample_program(project: str, stack: str) -> dict[str, str]:
    """A small Pulumi TypeScript program (path -> text), for seeded CLI-mode workspaces."""
    index = "\n".join(
        [
            'import * as aws from "@pulumi/aws";',
            'import * as pulumi from "@pulumi/pulumi";',
            "",
            'const sg = new aws.ec2.SecurityGroup("web-sg", {',
            '    ingress: [{ protocol: "tcp", fromPort: 80, toPort: 80,',
            '                cidrBlocks: ["0.0.0.0/0"] }],',
            "});",
            "",
            'const assets = new aws.s3.BucketV2("assets", {',
            f'    tags: {{ Project: "{project}" }},',
            "});",
            "",
            'const server = new aws.ec2.Instance("web-server", {',
            '    ami: "ami-0c55b159cbfafe1f0",',
            '    instanceType: "t3.xlarge",',
            "    vpcSecurityGroupIds: [sg.id],",
            f'    tags: {{ Name: "web-server", Project: "{project}" }},',
            "});",
            "",
            "export const bucketName = assets.bucket;",
            "export const url = pulumi.interpolate`http://${server.publicDns}`;",
            "",
        ]
    )
    return {
        "README.md": f"# {project}\n\nInfrastructure of {project}, in `infra/`.\n",
        "infra/Pulumi.yaml": f"name: {project}\nruntime: nodejs\n",
        f"infra/Pulumi.{stack}.yaml": "config:\n  aws:region: us-west-2\n",
        "infra/index.ts": index,
        "infra/package.json": f'{{"name": "{project}", "main": "index.ts"}}\n',
    }


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


_SERVICES = ("api", "web", "worker", "scheduler", "search", "billing", "auth", "reports")


def git_diff(project: str, stack: str, size: str = "t3.medium") -> dict[str, str]:
    """What a change Neo proposes looks like: file -> unified diff, as an approval shows it.

    Several files, one of them long (a generated sizing module of about 200 lines), so a client
    has a realistic diff to render; `size` is the instance type the change moves to.
    """
    index = (
        "--- a/index.ts\n"
        "+++ b/index.ts\n"
        "@@ -11,9 +11,9 @@ const config = new pulumi.Config();\n"
        ' const vpc = new awsx.ec2.Vpc("main", { numberOfAvailabilityZones: 2 });\n'
        " \n"
        ' const server = new aws.ec2.Instance("web-server", {\n'
        '-    instanceType: "t3.large",\n'
        f'+    instanceType: "{size}",\n'
        "     ami: ami.id,\n"
        "     subnetId: vpc.privateSubnetIds[0],\n"
        f'     tags: {{ Name: "web-server", Stack: "{stack}" }},\n'
        '@@ -31,6 +31,7 @@ const bucket = new aws.s3.BucketV2("assets");\n'
        ' const logs = new aws.s3.BucketV2("access-logs", {\n'
        "     forceDestroy: false,\n"
        "+    tags: sizing.tags,\n"
        " });\n"
        " \n"
        " export const url = pulumi.interpolate`http://${server.publicDns}`;\n"
    )
    config = (
        f"--- a/Pulumi.{stack}.yaml\n"
        f"+++ b/Pulumi.{stack}.yaml\n"
        "@@ -1,4 +1,5 @@\n"
        " config:\n"
        "   aws:region: us-west-2\n"
        f"   {project}:replicas: 2\n"
        f"+  {project}:instanceType: {size}\n"
        f"   {project}:environment: {stack}\n"
    )
    lines = [
        "/** Instance sizes per service, generated from last month's utilization. */",
        'import * as pulumi from "@pulumi/pulumi";',
        "",
        "export interface Sizing {",
        "    instanceType: string;",
        "    minSize: number;",
        "    maxSize: number;",
        "    cpuTarget: number;",
        "}",
        "",
        "export const sizing: Record<string, Sizing> = {",
    ]
    for i, service in enumerate(_SERVICES * 3):
        name = service if i < len(_SERVICES) else f"{service}-{i // len(_SERVICES)}"
        lines += [
            f'    "{name}": {{',
            f'        instanceType: "{size}",',
            f"        minSize: {1 + i % 3},",
            f"        maxSize: {3 + i % 5},",
            f"        cpuTarget: {55 + 5 * (i % 4)},",
            "    },",
        ]
    lines += [
        "};",
        "",
        "export const tags = {",
        f'    Project: "{project}",',
        f'    Stack: "{stack}",',
        '    CostCenter: "platform",',
        '    ManagedBy: "pulumi",',
        "};",
        "",
        "export function sizeOf(service: string): Sizing {",
        "    const found = sizing[service];",
        "    if (!found) {",
        "        throw new pulumi.RunError(`no sizing for service ${service}`);",
        "    }",
        "    return found;",
        "}",
    ]
    while len(lines) < 200:
        lines.append(f"// utilization sample {len(lines)}: p95 cpu {30 + len(lines) % 40}%")
    long = "--- /dev/null\n+++ b/sizing.ts\n" + f"@@ -0,0 +1,{len(lines)} @@\n"
    long += "".join(f"+{line}\n" for line in lines)
    return {"index.ts": index, f"Pulumi.{stack}.yaml": config, "sizing.ts": long}


def plan_description(project: str, stack: str, message: str) -> str:
    """The plan a `plan_exit` approval asks the user to accept, in markdown."""
    return (
        f"## Plan for `{project}/{stack}`\n\n"
        f"> {message.strip().splitlines()[0] if message.strip() else 'the task'}\n\n"
        "1. **Inspect** the stack's resources and last update\n"
        "2. **Preview** the stack to see pending changes and drift\n"
        "3. **Change** the program: right-size `web-server`, tag every resource\n"
        "4. **Open a pull request** with the change and the preview attached\n\n"
        "Nothing is deployed: `pulumi up` runs only after the PR is merged.\n\n"
        "| Step | Tool | Writes? |\n"
        "|---|---|---|\n"
        "| 1 | `get_stack_resources` | no |\n"
        "| 2 | `pulumi_preview` | no |\n"
        "| 4 | `create_pull_request` | yes |"
    )


def plan_ready(project: str, stack: str) -> str:
    """The message that presents the plan in plan mode."""
    return (
        f"I've drafted a plan for `{project}/{stack}` (below, in the approval). I'm in plan mode, "
        "so I won't run anything until you approve it."
    )


def context_summary(project: str, stack: str, turns: int) -> str:
    """The summary a context compression keeps of the older turns."""
    return (
        f"Summary of {turns} earlier turns: the user works on `{project}/{stack}`. Neo previewed "
        "the stack (2 pending changes: `web-server` instance type, new `access-logs` bucket), "
        "listed its resources and proposed right-sizing `web-server`. Open items: the user's "
        "latest question and any pending approval."
    )


def update_description(project: str, stack: str) -> str:
    """What a `pulumi up` approval asks for."""
    return f"Run `pulumi up` on `{project}/{stack}` (1 to update, 1 to create)"


def update_done(project: str, stack: str) -> str:
    """The final message after `pulumi up`."""
    return f"`pulumi up` on `{project}/{stack}` succeeded: 1 resource updated, 1 created."
