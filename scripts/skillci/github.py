"""Everything GitHub: workflow-command annotations, the step summary, step outputs and the REST API.

The library core never imports this module; reporters and commands do. The REST API is reached
through PyGithub, imported inside the functions that use it so that start-up stays fast.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from skillci import __version__
from skillci.errors import BadInput, ServiceFailed
from skillci.registry.findings import Severity, ValidationResult

if TYPE_CHECKING:
    import logging

    from github import Github
    from github.GithubException import GithubException
    from github.Issue import Issue
    from github.IssueComment import IssueComment


def in_actions() -> bool:
    """True when running inside a GitHub Actions job."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """Escape a workflow-command message so it cannot end the command or start another."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: str, message: str, *, file: str, line: int, col: int, end_line: int, end_col: int, title: str
) -> str:
    """One `::error …::message` workflow command."""
    props = {
        "file": file,
        "line": str(line),
        "col": str(col),
        "endLine": str(end_line),
        "endColumn": str(end_col),
        "title": title,
    }
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props.items())
    return f"::{level} {joined}::{escape_data(message)}"


def message(level: str, text: str, *, title: str) -> str:
    """A `::warning title=…::text` workflow command that belongs to no file."""
    return f"::{level} title={escape_property(title)}::{escape_data(text)}"


def workspace_path(root: Path, relative: str) -> str:
    """A finding's file as a path relative to GITHUB_WORKSPACE, so annotations land on the right file."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    absolute = (root / relative).resolve()
    if workspace:
        try:
            return absolute.relative_to(Path(workspace).resolve()).as_posix()
        except ValueError:
            pass
    return relative


def group(title: str) -> str:
    """Start a folded log group."""
    return f"::group::{escape_data(title)}"


def end_group() -> str:
    """End a folded log group."""
    return "::endgroup::"


def add_mask(value: str) -> str:
    """Tell the runner to mask a secret in every later log line."""
    return f"::add-mask::{escape_data(value)}"


def write_step_summary(markdown: str) -> bool:
    """Append Markdown to the job summary; False when not in Actions."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return True


def write_outputs(outputs: Mapping[str, object]) -> bool:
    """Set step outputs; False when not in Actions."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return False
    lines = []
    for key, value in outputs.items():
        text = str(value)
        if "\n" in text:
            delimiter = f"skillci_{os.urandom(8).hex()}"
            lines.append(f"{key}<<{delimiter}\n{text}\n{delimiter}")
        else:
            lines.append(f"{key}={text}")
    with open(target, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return True


def cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def validation_summary(result: ValidationResult) -> str:
    """The Markdown job summary of a validation."""
    verdict = "✅ registry valid" if result.ok else "❌ registry invalid"
    counts = result.counts
    lines = [
        f"## skillci validate: {verdict}",
        "",
        f"{counts.get('skills', 0)} skills · {counts.get('tools', 0)} tools · "
        f"{counts.get('failure_modes', 0)} failure modes · {result.errors} errors · {result.warnings} warnings",
        "",
    ]
    findings = result.sorted_findings()
    if findings:
        lines += ["| | file | line | code | message |", "|---|---|---|---|---|"]
        for finding in findings[:200]:
            icon = "❌" if finding.severity is Severity.ERROR else "⚠️"
            lines.append(
                f"| {icon} | `{cell(finding.file)}` | {finding.line} | `{finding.code}` | {cell(finding.message)} |"
            )
        if len(findings) > 200:
            lines.append(f"\n…and {len(findings) - 200} more findings (see the job log).")
    return "\n".join(lines) + "\n"


def sync_summary(counts: Mapping[str, Mapping[str, int]], *, applied: bool, dry_run: bool, store: str) -> str:
    """The Markdown job summary of a sync."""
    verdict = "dry run (nothing written)" if dry_run else ("applied" if applied else "nothing to do")
    lines = [f"## skillci sync: {verdict}", "", f"Store: `{cell(store)}`", ""]
    lines += ["| | created | updated | deprecated | unchanged |", "|---|---|---|---|---|"]
    for kind, numbers in counts.items():
        cells = " | ".join(str(numbers[name]) for name in ("created", "updated", "deprecated", "unchanged"))
        lines.append(f"| {kind.replace('_', ' ')} | {cells} |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class RunContext:
    """Where a command runs in GitHub Actions: repository, pull request, commit and a link to the run."""

    repository: str | None
    pr_number: int | None
    head_sha: str | None
    run_url: str | None
    run_key: str | None
    api_url: str
    token: str | None = field(default=None, repr=False)  # a secret: never printed


def _event_payload(path: str | None) -> dict[str, object]:
    if not path:
        return {}
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def run_context() -> RunContext:
    """The GitHub Actions context from GITHUB_* variables and the event payload (all None outside Actions)."""
    env = os.environ
    repository = env.get("GITHUB_REPOSITORY") or None
    event = _event_payload(env.get("GITHUB_EVENT_PATH"))
    pull = event.get("pull_request")
    head_sha = env.get("GITHUB_SHA") or None
    if isinstance(pull, dict):
        head = pull.get("head")
        if isinstance(head, dict) and isinstance(head.get("sha"), str):
            head_sha = head["sha"]  # GITHUB_SHA is the merge commit on pull_request events
    run_id = env.get("GITHUB_RUN_ID") or None
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None
    run_key = f"{run_id}/{env.get('GITHUB_RUN_ATTEMPT') or '1'}" if run_id else None
    return RunContext(
        repository=repository,
        pr_number=pull_request_number(env.get("GITHUB_EVENT_PATH")),
        head_sha=head_sha,
        run_url=run_url,
        run_key=run_key,
        api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        token=env.get("GITHUB_TOKEN") or None,
    )


# --- the REST API: one sticky pull-request comment -------------------------------------------------

#: Every wait (back-off and rate limits) goes through this, so tests can record the waits.
_sleep: Callable[[float], None] = time.sleep
#: The clock rate-limit resets are measured against (epoch seconds).
_now: Callable[[], float] = time.time

#: GitHub refuses comment bodies longer than this many characters.
COMMENT_LIMIT = 65536
_BACKOFF_FIRST_S = 1.0
_BACKOFF_CAP_S = 8.0
#: GitHub's advice for a secondary rate limit that names no wait: at least a minute.
_SECONDARY_LIMIT_WAIT_S = 60.0
_FORK_HINT = "fork pull requests get the job summary only"
_T = TypeVar("_T")
#: What a create step finds again on a retry (a comment, an issue).
_F = TypeVar("_F")


@dataclass(frozen=True)
class CommentOutcome:
    """What sticky_comment did: created, updated, unchanged, or skipped (with the reason)."""

    action: Literal["created", "updated", "unchanged", "skipped"]
    url: str | None
    reason: str = ""


class _Skip(Exception):
    """A 403 or 404 that is no rate limit: the token may not do this, so the comment is skipped."""

    def __init__(self, reason: str, *, status: int = 0, what: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.what = what


@dataclass
class _Policy:
    """How one sticky_comment call retries: tries per step and the total rate-limit wait allowed."""

    attempts: int
    max_wait_s: float
    token: str = field(repr=False)
    waited_s: float = 0.0

    def clean(self, text: str) -> str:
        """Text with the token blanked out, should it ever appear."""
        return text.replace(self.token, "***") if self.token else text


class _Redactor:
    """Blanks the token out of PyGithub's log records (its debug log holds request and answer bodies).

    A logging filter by duck typing (Logger.addFilter takes any object with a `filter` method), so that this
    module loads without `logging`.
    """

    def __init__(self, policy: _Policy) -> None:
        self.policy = policy

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        cleaned = self.policy.clean(text)
        if cleaned != text:
            record.msg, record.args = cleaned, None
        return True


def _plural(count: int) -> str:
    return f"{count} try" if count == 1 else f"{count} tries"


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _retry_after_s(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    import email.utils  # 9 ms: only when a Retry-After is a date

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.timestamp() - _now()


def _rate_limit_wait(status: int, headers: Mapping[str, str], limited: bool) -> float | None:
    """Seconds to wait before trying again when a 403/429 is a rate limit, else None."""
    if status not in (403, 429):
        return None
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        seconds = _retry_after_s(retry_after.strip())
        if seconds is not None:
            return max(seconds, 1.0)
    if headers.get("x-ratelimit-remaining", "").strip() == "0":
        try:
            reset = float(headers.get("x-ratelimit-reset", ""))
        except ValueError:
            reset = None
        if reset is not None:
            return max(reset - _now(), 1.0)
    if status == 429 or limited:
        return _SECONDARY_LIMIT_WAIT_S
    return None


def _skip_reason(status: int, what: str) -> str:
    verb = what.split(" ", 1)[0]
    if verb in ("POST", "PATCH"):
        return f"the token cannot write to this pull request (HTTP {status} on {what}); {_FORK_HINT}"
    return f"the token cannot read this pull request or it does not exist (HTTP {status} on {what}); {_FORK_HINT}"


def _judge(error: GithubException, *, what: str, policy: _Policy) -> float | str | Exception:
    """What a GitHub error means: seconds to wait (rate limit), a problem worth a retry, or the error to raise."""
    import github

    status = error.status
    headers = {str(key).lower(): str(value) for key, value in (error.headers or {}).items()}
    wait = _rate_limit_wait(status, headers, isinstance(error, github.RateLimitExceededException))
    if wait is not None:
        if policy.waited_s + wait <= policy.max_wait_s:
            return wait
        resets = datetime.fromtimestamp(_now() + wait, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return ServiceFailed(
            f"GitHub API rate limit hit (HTTP {status} on {what}): it resets at {resets}, "
            f"in {wait:.0f} s, beyond the {policy.max_wait_s:.0f} s skillci waits"
        )
    if status == 401:
        return BadInput("GitHub rejected the token (HTTP 401)")
    if status in (403, 404):
        return _Skip(_skip_reason(status, what), status=status, what=what)
    if status < 500:
        said = error.message or (error.data.get("message") if isinstance(error.data, dict) else None)
        detail = f": {_one_line(policy.clean(str(said)))}" if said else ""
        return ServiceFailed(f"GitHub API refused {what}: HTTP {status}{detail}")
    return f"HTTP {status}"


@dataclass
class _Step:
    """The request a step is making, named in messages as `METHOD /path`."""

    what: str


def _call(action: Callable[[], _T], *, step: _Step, policy: _Policy) -> _T:
    """Run one API step, honouring rate limits and retrying 5xx and connection errors.

    Errors are raised outside the `except` blocks, so no PyGithub or requests exception (whose text
    holds GitHub's answer) rides along as `__context__`.
    """
    import github

    failures = 0
    while True:
        try:
            return action()
        except github.GithubException as error:
            verdict = _judge(error, what=step.what, policy=policy)
        except OSError as error:  # requests' ConnectionError and Timeout are OSErrors
            verdict = f"connection error ({type(error).__name__})"
        if isinstance(verdict, Exception):
            raise verdict
        if isinstance(verdict, float):
            policy.waited_s += verdict
            _sleep(verdict)
            continue
        failures += 1
        if failures >= policy.attempts:
            raise ServiceFailed(f"GitHub API failed after {_plural(failures)}: {verdict} on {step.what}")
        _sleep(min(_BACKOFF_CAP_S, _BACKOFF_FIRST_S * 2 ** (failures - 1)))


def _first_marked(comments: Iterable[IssueComment], marker: str) -> IssueComment | None:
    """The first comment whose body carries marker, reading page after page until found."""
    for comment in comments:
        if marker in (comment.body or ""):
            return comment
    return None


def _normalised(text: str | None) -> str:
    return "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")).strip()


def _comment_text(body: str, marker: str, *, what: str = "comments") -> str:
    """The full comment (or issue body): marker on the first line, then body, cut to GitHub's limit."""
    text = body if body.split("\n", 1)[0].strip() == marker else f"{marker}\n{body}"
    if len(text) <= COMMENT_LIMIT:
        return text
    note = f"\n\n… (cut by skillci: GitHub {what} hold at most {COMMENT_LIMIT} characters)"
    return text[: COMMENT_LIMIT - len(note)] + note


def _edit(comment: IssueComment, text: str, *, repository: str, step: _Step) -> CommentOutcome:
    """PATCH the comment to text: one request, retried by the _call around it."""
    step.what = f"PATCH /repos/{repository}/issues/comments/{comment.id}"
    comment.edit(text)
    return CommentOutcome("updated", comment.html_url)


def _same(comment: IssueComment, text: str) -> bool:
    return _normalised(comment.body) == _normalised(text)


def check_repository(repository: str) -> str:
    """repository when it reads owner/name, else BadInput."""
    owner, _, name = repository.partition("/")
    if not owner or not name or "/" in name or any(char.isspace() or not char.isprintable() for char in repository):
        raise BadInput(f"not a GitHub repository name (owner/name): {repository!r}")
    return repository


def _check_inputs(
    *, repository: str, number: int, marker: str, token: str, api_url: str, attempts: int, max_wait_s: float
) -> None:
    check_repository(repository)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise BadInput(f"not a pull request number: {number!r}")
    _check_client_inputs(marker=marker, token=token, api_url=api_url, attempts=attempts, max_wait_s=max_wait_s)


def _check_client_inputs(
    *,
    marker: str,
    token: str,
    api_url: str,
    attempts: int,
    max_wait_s: float,
    what: str = "comment",
    example: str = "<!-- skillci:gate -->",
) -> None:
    if not marker.strip() or "\n" in marker or "\r" in marker:
        raise BadInput(f"the {what} marker must be one non-empty line, e.g. {example}")
    if not token:
        raise BadInput("no GitHub token given (set GITHUB_TOKEN)")
    if any(char.isspace() or not char.isprintable() for char in token):
        raise BadInput("the GitHub token contains spaces or control characters")
    if not api_url.startswith(("https://", "http://")):
        raise BadInput(f"the GitHub API URL must start with https:// or http://: {api_url!r}")
    if attempts < 1:
        raise BadInput(f"attempts must be at least 1, not {attempts}")
    if max_wait_s < 0:
        raise BadInput(f"max_wait_s must not be negative, not {max_wait_s}")


def sticky_comment(
    *,
    repository: str,
    number: int,
    body: str,
    marker: str,
    token: str,
    api_url: str = "https://api.github.com",
    attempts: int = 3,
    max_wait_s: float = 60.0,
) -> CommentOutcome:
    """Create or edit the one comment on pull request `number` that carries `marker`."""
    token = token.strip()
    _check_inputs(
        repository=repository,
        number=number,
        marker=marker,
        token=token,
        api_url=api_url,
        attempts=attempts,
        max_wait_s=max_wait_s,
    )
    text = _comment_text(body, marker)
    policy = _Policy(attempts=attempts, max_wait_s=max_wait_s, token=token)
    with _client(api_url=api_url, policy=policy) as client:
        try:
            return _sticky(client, repository=repository, number=number, text=text, marker=marker, policy=policy)
        except _Skip as skip:
            return CommentOutcome("skipped", None, policy.clean(skip.reason))


@contextmanager
def _client(*, api_url: str, policy: _Policy) -> Iterator[Github]:
    """A PyGithub client that does no retrying of its own (`_call` does), with the token blanked out of
    PyGithub's log while it is open; closed afterwards."""
    import logging

    import github

    client = github.Github(
        auth=github.Auth.Token(policy.token),
        base_url=api_url.rstrip("/"),
        user_agent=f"skillci/{__version__}",
        per_page=100,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    redactor = _Redactor(policy)
    requester_log = logging.getLogger("github.Requester")
    requester_log.addFilter(redactor)
    try:
        yield client
    finally:
        requester_log.removeFilter(redactor)
        client.close()


def _sticky(client: Github, *, repository: str, number: int, text: str, marker: str, policy: _Policy) -> CommentOutcome:
    """The sticky comment's steps: find the marked comment, then edit it or create it."""
    issue_path = f"/repos/{repository}/issues/{number}"
    repo = _call(lambda: client.get_repo(repository), step=_Step(f"GET /repos/{repository}"), policy=policy)
    issue = _call(lambda: repo.get_issue(number), step=_Step(f"GET {issue_path}"), policy=policy)
    comments = issue.get_comments()
    listing = f"GET {issue_path}/comments"
    existing = _call(lambda: _first_marked(comments, marker), step=_Step(listing), policy=policy)
    if existing is not None:
        if _same(existing, text):
            return CommentOutcome("unchanged", existing.html_url)
        step = _Step("PATCH")
        found = existing
        return _call(lambda: _edit(found, text, repository=repository, step=step), step=step, policy=policy)
    step = _Step(f"POST {issue_path}/comments")

    def adopt(landed: IssueComment) -> CommentOutcome:
        if _same(landed, text):
            return CommentOutcome("created", landed.html_url)
        return _edit(landed, text, repository=repository, step=step)

    create = _create_once(
        step,
        listing=listing,
        find=lambda: _first_marked(issue.get_comments(), marker),
        adopt=adopt,
        create=lambda: CommentOutcome("created", issue.create_comment(text).html_url),
    )
    return _call(create, step=step, policy=policy)


def _create_once(
    step: _Step,
    *,
    listing: str,
    find: Callable[[], _F | None],
    adopt: Callable[[_F], _T],
    create: Callable[[], _T],
) -> Callable[[], _T]:
    """A create step for `_call` whose retries first look (GET `listing`) for what an earlier attempt created."""
    post = step.what
    tried = False

    def attempt() -> _T:
        # A create that failed with a 5xx or a dropped connection may still have landed: look again first.
        nonlocal tried
        if tried:
            step.what = listing
            landed = find()
            if landed is not None:
                return adopt(landed)
        tried = True
        step.what = post
        return create()

    return attempt


# --- the REST API: one issue per week ---------------------------------------------------------------

#: The label weekly-report issues carry; they are looked for among the issues with it.
WEEKLY_LABEL = "weekly-report"
#: GitHub refuses issue titles longer than this many characters.
TITLE_LIMIT = 256


@dataclass(frozen=True)
class IssueOutcome:
    """What weekly_issue did: created, updated or unchanged, and the issue."""

    action: Literal["created", "updated", "unchanged"]
    url: str
    number: int


def issue_body(body: str, marker: str) -> str:
    """The issue body weekly_issue writes: marker on the first line, then body, cut to GitHub's limit."""
    return _comment_text(body, marker, what="issues")


def weekly_issue(
    *,
    repository: str,
    title: str,
    body: str,
    marker: str,
    label: str = WEEKLY_LABEL,
    token: str,
    api_url: str = "https://api.github.com",
    attempts: int = 3,
    max_wait_s: float = 60.0,
) -> IssueOutcome:
    """Create, or edit, the one issue that carries `marker` (e.g. `<!-- skillci:weekly:2026-W47 -->`).

    The issue is looked for among the issues labelled `label`, open or closed, newest first; it is created with
    that label when none carries the marker (the marker goes on the body's first line), edited when its title or
    body differ, and left alone when they are the same. Rate limits, retries and the token are handled as in
    sticky_comment. A token that may not read or write the issues is ServiceFailed here (not skipped): the report
    did not get where it was sent.
    """
    token = token.strip()
    check_repository(repository)
    title = title.strip()
    if not title or "\n" in title or "\r" in title or len(title) > TITLE_LIMIT:
        raise BadInput(f"the issue title must be one line of 1 to {TITLE_LIMIT} characters")
    label = label.strip()
    if not label or "," in label or len(label) > 50 or not label.isprintable():
        raise BadInput(f"not a usable issue label (1 to 50 characters, no comma): {label!r}")
    _check_client_inputs(
        marker=marker,
        token=token,
        api_url=api_url,
        attempts=attempts,
        max_wait_s=max_wait_s,
        what="issue",
        example="<!-- skillci:weekly:2026-W47 -->",
    )
    text = issue_body(body, marker)
    policy = _Policy(attempts=attempts, max_wait_s=max_wait_s, token=token)
    with _client(api_url=api_url, policy=policy) as client:
        try:
            return _weekly(
                client, repository=repository, title=title, text=text, marker=marker, label=label, policy=policy
            )
        except _Skip as skip:
            refused = skip
    raise ServiceFailed(policy.clean(_issue_refusal(repository, refused)))


def _issue_refusal(repository: str, skip: _Skip) -> str:
    where = f"HTTP {skip.status} on {skip.what}"
    verb = skip.what.split(" ", 1)[0]
    if verb in ("POST", "PATCH"):
        return f"the token cannot write the issues of {repository} ({where}); the job needs `issues: write`"
    if skip.what == f"GET /repos/{repository}":
        return f"the repository {repository} does not exist or the token cannot see it ({where})"
    return f"the token cannot read the issues of {repository} ({where}); the job needs `issues: write`"


def _first_marked_issue(issues: Iterable[Issue], marker: str) -> Issue | None:
    """The first issue whose body carries marker, reading page after page until found."""
    for issue in issues:
        if marker in (issue.body or ""):
            return issue
    return None


def _weekly(
    client: Github, *, repository: str, title: str, text: str, marker: str, label: str, policy: _Policy
) -> IssueOutcome:
    """The weekly issue's steps: find the marked issue, then edit it or create it."""
    issues_path = f"/repos/{repository}/issues"
    repo = _call(lambda: client.get_repo(repository), step=_Step(f"GET /repos/{repository}"), policy=policy)

    def labelled() -> Iterable[Issue]:
        return repo.get_issues(state="all", labels=[label], sort="created", direction="desc")

    listing = f"GET {issues_path}"
    issues = labelled()  # pages read before a failed one are kept across retries
    existing = _call(lambda: _first_marked_issue(issues, marker), step=_Step(listing), policy=policy)
    if existing is not None:
        found = existing
        if found.title == title and _normalised(found.body) == _normalised(text):
            return IssueOutcome("unchanged", found.html_url, found.number)
        step = _Step(f"PATCH {issues_path}/{found.number}")

        def edit() -> IssueOutcome:
            found.edit(title=title, body=text)
            return IssueOutcome("updated", found.html_url, found.number)

        return _call(edit, step=step, policy=policy)
    step = _Step(f"POST {issues_path}")

    def adopt(landed: Issue) -> IssueOutcome:
        if not (landed.title == title and _normalised(landed.body) == _normalised(text)):
            step.what = f"PATCH {issues_path}/{landed.number}"
            landed.edit(title=title, body=text)
        return IssueOutcome("created", landed.html_url, landed.number)

    def post() -> IssueOutcome:
        issue = repo.create_issue(title=title, body=text, labels=[label])
        return IssueOutcome("created", issue.html_url, issue.number)

    create = _create_once(
        step, listing=listing, find=lambda: _first_marked_issue(labelled(), marker), adopt=adopt, create=post
    )
    return _call(create, step=step, policy=policy)


def pull_request_number(event_path: str | None) -> int | None:
    """The pull request number in a GitHub event payload file (GITHUB_EVENT_PATH), or None."""
    event = _event_payload(event_path)
    pull = event.get("pull_request")
    issue = event.get("issue")
    if isinstance(pull, dict):
        number = pull.get("number", event.get("number"))
    elif isinstance(issue, dict) and isinstance(issue.get("pull_request"), dict):
        number = issue.get("number")  # issue_comment on a pull request
    else:
        return None
    return number if isinstance(number, int) and not isinstance(number, bool) and number > 0 else None
