"""Linting commit messages like commitlint: where the messages come from (one, a git range, the last commit, the
pull request's title, the commit-msg hook's file), the settings, and the lint run the reporters format."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from skillci import CONFIG_FILE
from skillci.checkout import git_output
from skillci.errors import BadInput, CheckFailed

if TYPE_CHECKING:
    from skillci.commits.rules import LintOutcome, RuleSetting

# The rules (skillci.commits.rules) are imported where they are used, so that a range's `git log` runs while
# they load (their regular expressions take longer to compile than git takes to list 1,000 commits).

#: The file git writes a commit message to before the commit-msg hook runs.
DEFAULT_EDIT_FILE = Path(".git") / "COMMIT_EDITMSG"
#: `git log -z` ends each commit with NUL, which no message can hold; the hash and the author (git keeps
#: newlines out of names and emails) each take one line before the message.
_LOG_FORMAT = "--format=%H%n%an <%ae>%n%B%n"


# Named tuples and plain classes rather than dataclasses on this command's path: each dataclass costs about
# 0.4 ms to create at import, a tenth of what linting 1,000 commits takes.


class Message(NamedTuple):
    """One message to lint, where it came from, and git's comment character when it is the commit-msg hook's file."""

    text: str
    hash: str | None = None
    author: str | None = None
    comment_char: str | None = None

    @property
    def shown(self) -> str:
        """The message as the reporters show it: without git's comment lines and the scissors line on."""
        if not self.comment_char:
            return self.text
        from skillci.commits.parser import uncommented

        return "\n".join(uncommented(self.text.split("\n"), self.comment_char)).rstrip("\n") + "\n"


class Settings(NamedTuple):
    """The `commitlint:` part of skillci.yaml: rules over config-conventional's, and bot authors to skip."""

    rules: Mapping[str, RuleSetting]
    ignore_authors: tuple[str, ...] = ()


class LintRun:
    """Every message linted, with its outcome; skipped bot commits are counted."""

    def __init__(
        self,
        results: list[tuple[Message, LintOutcome]] | None = None,
        skipped_authors: int = 0,
        strict: bool = False,
    ) -> None:
        self.results: list[tuple[Message, LintOutcome]] = [] if results is None else results
        self.skipped_authors = skipped_authors
        self.strict = strict

    @property
    def errors(self) -> int:
        """Problems at error level, over every message."""
        return sum(len(outcome.errors) for _, outcome in self.results)

    @property
    def warnings(self) -> int:
        """Problems at warning level, over every message."""
        return sum(len(outcome.warnings) for _, outcome in self.results)

    @property
    def failed(self) -> bool:
        """Errors fail; warnings fail too with --strict."""
        return self.errors > 0 or (self.strict and self.warnings > 0)


def settings_for(root: Path) -> Settings:
    """The commitlint settings of the checkout under root (config-conventional when skillci.yaml says nothing)."""
    from skillci.commits.rules import DEFAULT_RULES, rules_from_config

    if root.is_dir() and not (root / CONFIG_FILE).is_file():
        return Settings(rules=dict(DEFAULT_RULES))  # without loading the YAML parser, which costs more than linting
    from skillci.config import load_config

    config = load_config(root)
    data = config.raw.get("commitlint") or {}
    source = CONFIG_FILE
    if not isinstance(data, Mapping):
        raise BadInput("commitlint must be a mapping", file=source)
    unknown = sorted(set(data) - {"rules", "ignore_authors"})
    if unknown:
        raise BadInput(f"commitlint: unknown key(s) {', '.join(unknown)} (known: rules, ignore_authors)", file=source)
    authors = data.get("ignore_authors") or []
    if not isinstance(authors, list) or not all(isinstance(name, str) and name for name in authors):
        raise BadInput("commitlint.ignore_authors must be a list of author names or emails", file=source)
    return Settings(
        rules=rules_from_config({"rules": data.get("rules") or {}}, source=source), ignore_authors=tuple(authors)
    )


def range_messages(root: Path, *, from_ref: str | None, to_ref: str) -> PendingLog:
    """The commits in from..to (all of to's history without from), newest first, exactly as commitlint reads them;
    git lists them while the caller goes on, and `PendingLog.messages()` waits for them.

    A shallow clone that lacks from is deepened, or the command fails: never a silently short range.
    """
    if from_ref:
        return _RangeLog(root, from_ref, to_ref)
    if git_output(root, "rev-parse", "--is-shallow-repository").strip() == "true":
        raise BadInput("--to without --from lints the whole history, which this shallow clone lacks (fetch-depth: 0)")
    return PendingLog(root, to_ref)


class PendingLog:
    """A `git log` started in the checkout under root, read when its messages are wanted."""

    def __init__(self, root: Path, *log_args: str) -> None:
        self.args = ("log", "-z", _LOG_FORMAT, *log_args)
        try:
            self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["git", "-C", str(root), *self.args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise BadInput(f"git log failed: {exc}") from None

    def cancel(self) -> None:
        """Stop git: its output is not wanted any more."""
        if self.process is not None:
            process, self.process = self.process, None
            process.kill()
            process.communicate()

    def messages(self) -> list[Message]:
        """The commits git listed, newest first (a failure of git is bad input)."""
        if self.process is None:
            raise RuntimeError("PendingLog.messages() was already called")
        process, self.process = self.process, None
        try:
            out, err = process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise BadInput("git log took longer than 300 s") from None
        if process.returncode != 0:
            message = (err.decode("utf-8", "replace").strip().splitlines() or ["(no message)"])[-1]
            raise BadInput(f"git {' '.join(self.args)}: {message}")
        return parse_log(out.decode("utf-8", "replace"))


class _RangeLog(PendingLog):
    """`git log from..to`, started together with one `git rev-parse` that tells whether the clone is complete
    (not shallow) and holds both ends. When it is not, the listing is dropped: the clone is deepened until the
    range is there (or the command fails, naming the missing end), and git lists the range again."""

    def __init__(self, root: Path, from_ref: str, to_ref: str) -> None:
        self.root, self.from_ref, self.to_ref = root, from_ref, to_ref
        self.check: subprocess.Popen[bytes] | None = None
        if not (from_ref.startswith("-") or to_ref.startswith("-")):  # never let a ref read as an option
            args = ["rev-parse", "--is-shallow-repository", f"{from_ref}^{{commit}}", f"{to_ref}^{{commit}}"]
            try:
                self.check = subprocess.Popen(
                    ["git", "-C", str(root), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
                )
            except OSError:
                self.check = None
        super().__init__(root, f"{from_ref}..{to_ref}")

    def _complete(self) -> bool:
        if self.check is None:
            return False
        check, self.check = self.check, None
        try:
            out, _ = check.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            check.kill()
            check.communicate()
            return False
        return check.returncode == 0 and out.split(b"\n", 1)[0] == b"false"

    def cancel(self) -> None:
        """Stop both git processes."""
        if self.check is not None:
            self.check.kill()
            self.check.communicate()
            self.check = None
        super().cancel()

    def messages(self) -> list[Message]:
        """The commits in the range, newest first, once the clone is known to hold it."""
        if self._complete():
            return super().messages()
        super().cancel()
        from skillci.checkout import resolve_base

        resolve_base(self.root, self.from_ref, self.to_ref, names=("--from", "--to"))
        return PendingLog(self.root, f"{self.from_ref}..{self.to_ref}").messages()


def parse_log(output: str) -> list[Message]:
    """The messages of `git log` output in our format, each exactly as @commitlint/read hands it over (git's %B
    plus one newline); empty messages are left out, as commitlint leaves them out."""
    from skillci.commits.parser import js_trim

    messages = []
    for record in output.split("\0"):
        if not record:
            continue
        commit, author, text = record.split("\n", 2)
        if js_trim(text):
            messages.append(Message(text=text, hash=commit, author=author))
    return messages


def log_messages(root: Path, *log_args: str) -> list[Message]:
    """The commits `git log ARGS` lists, newest first, as commitlint reads them."""
    return PendingLog(root, *log_args).messages()


def last_message(root: Path) -> list[Message]:
    """The message of HEAD as `commitlint --last` reads it: trimmed, without one pair of surrounding double quotes,
    and nothing to lint when that leaves it empty."""
    from skillci.commits.parser import js_trim

    if not _has_head(root):
        return []
    messages = []
    for message in log_messages(root, "-1", "HEAD"):
        text = js_trim(message.text)
        if text[:1] == '"' and text[-1:] == '"':
            text = text[1:-1]
        messages.append(message._replace(text=text))
    return _not_empty(messages)


def _has_head(root: Path) -> bool:
    try:
        git_output(root, "rev-parse", "--verify", "--quiet", "HEAD")
    except BadInput:
        raise BadInput("--last: this repository has no commit yet") from None
    return True


def edit_message(path: Path, comment_char: str = "#") -> Message:
    """The message git is about to commit (the commit-msg hook's file) as commitlint reads it: the whole file and a
    newline; the parser leaves out the lines that start with git's comment character and the scissors line on."""
    try:
        with path.open(encoding="utf-8", newline="") as file:
            text = file.read()
    except FileNotFoundError:
        raise BadInput(
            "no commit message to lint here (run from the commit-msg hook, or give --edit FILE)", file=str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the commit message: {exc}", file=str(path)) from None
    return Message(text=f"{text}\n", comment_char=comment_char)


def comment_char(root: Path) -> str:
    """git's comment character in the checkout under root (`core.commentChar`, else `#`), as commitlint reads it."""
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "config", "core.commentChar"], capture_output=True, text=True, check=False
        )
    except OSError:
        return "#"
    return (result.stdout.strip() if result.returncode == 0 else "") or "#"


def pr_title_message(event_path: str | None) -> Message:
    """The pull request's title from the GitHub event payload (GITHUB_EVENT_PATH)."""
    if not event_path:
        raise BadInput("--pr-title needs GITHUB_EVENT_PATH (a pull_request event)")
    try:
        event: Any = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read the event payload: {exc}", file=event_path) from None
    pull = event.get("pull_request") if isinstance(event, dict) else None
    title = pull.get("title") if isinstance(pull, dict) else None
    if not isinstance(title, str):
        raise BadInput("--pr-title: the event is not a pull request (no pull_request.title)", file=event_path)
    return Message(text=title)


def lint_messages(messages: Sequence[Message], settings: Settings, *, strict: bool) -> LintRun:
    """Lint each message with the settings' rules; commits by an ignored author are skipped."""
    from skillci.commits.rules import linter

    lint = linter(settings.rules)
    run = LintRun(strict=strict)
    ignored = {name.lower() for name in settings.ignore_authors}
    for message in messages:
        if ignored and message.author and _author_ignored(message.author, ignored):
            run.skipped_authors += 1
            continue
        run.results.append((message, lint(message.text, message.comment_char)))
    return run


def _not_empty(messages: list[Message]) -> list[Message]:
    """The messages that hold more than white space: commitlint lints no others."""
    from skillci.commits.parser import js_trim

    return [message for message in messages if js_trim(message.text)]


def _author_ignored(author: str, ignored: set[str]) -> bool:
    name, _, email = author.partition(" <")
    return bool({name.lower(), email.rstrip(">").lower(), author.lower()} & ignored)


def gather(
    root: Path,
    *,
    message: str | None = None,
    edit: Path | None = None,
    from_ref: str | None = None,
    to_ref: str | None = None,
    last: bool = False,
    pr_title: bool = False,
    stdin: TextIO,
) -> tuple[list[Message], Settings]:
    """The messages the options choose (stdin when none does) and the settings to lint them with.

    A range's `git log` runs while the settings load. Only a range and the pull request's title go together.
    """
    chosen = {
        "--message": message is not None,
        "--edit": edit is not None,
        "--from/--to": bool(from_ref or to_ref),
        "--last": last,
        "--pr-title": pr_title,
    }
    modes = [name for name, on in chosen.items() if on]
    if len(modes) > 1 and modes != ["--from/--to", "--pr-title"]:  # a pull request: its range and its title
        raise BadInput(f"choose one of {', '.join(modes)}")
    if from_ref or to_ref:
        pending = range_messages(root, from_ref=from_ref, to_ref=to_ref or "HEAD")
        try:
            settings = settings_for(root)  # while git lists the range
        except BaseException:
            pending.cancel()
            raise
        messages = pending.messages()
        if pr_title:
            messages.append(pr_title_message(os.environ.get("GITHUB_EVENT_PATH")))
        return messages, settings
    settings = settings_for(root)
    if message is not None:
        return [_required(message, "--message")], settings
    if edit is not None:
        edited = edit_message(edit if edit.is_absolute() else root / edit, comment_char(root))
        return _not_empty([edited]), settings
    if last:
        return last_message(root), settings
    if pr_title:
        return [pr_title_message(os.environ.get("GITHUB_EVENT_PATH"))], settings
    if stdin.isatty():
        raise BadInput(
            "nothing to lint: give --message, --edit, --from/--to, --last, --pr-title, or a message on stdin"
        )
    return [_required(stdin.read(), "stdin")], settings


def _required(text: str, source: str) -> Message:
    """The message given, unless it is empty once trimmed: commitlint's "input is required" (exit 1), not a pass."""
    from skillci.commits.parser import js_trim

    if not js_trim(text):
        raise CheckFailed(f"input is required: {source} is empty")
    return Message(text=text)
