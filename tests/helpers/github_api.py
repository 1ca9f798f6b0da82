"""A stand-in for the GitHub REST API's issue comments and issues, answering through `responses` (no network)."""

from __future__ import annotations

import importlib
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import responses

from skillci.errors import SkillciError

JSON_TYPE = "application/json; charset=utf-8"
REPO_ID = 4242
#: The time skillci.github's clock stands at under `record_waits` (its `_now`).
NOW = 1_700_000_000.0


def record_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every sleep skillci.github asks for, recorded instead of slept; the clock stands at NOW."""
    from skillci import github

    recorded: list[float] = []
    monkeypatch.setattr(github, "_sleep", recorded.append)
    monkeypatch.setattr(github, "_now", lambda: NOW)
    return recorded


@contextmanager
def serving(stub: FakeGitHub | None = None) -> Iterator[FakeGitHub]:
    """stub (a new FakeGitHub at api.github.com by default) answering through `responses`; a request it does
    not answer fails."""
    stub = FakeGitHub() if stub is None else stub
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        stub.install(mock)
        yield stub


def capture_github_log(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every log record, PyGithub's debug log included (imported first: it sets its level on import)."""
    importlib.import_module("github")
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")


def collect_texts(call: Callable[..., Any], texts: list[str], shown: Callable[[Any], list[str]]) -> Callable[..., None]:
    """call(**options), with everything its error (which may carry no cause or context) or outcome shows
    (`shown`) added to texts."""

    def attempt(**options: Any) -> None:
        try:
            outcome = call(**options)
        except SkillciError as error:
            texts.extend([str(error), repr(error), error.format(), repr(error.__cause__), repr(error.__context__)])
            assert error.__cause__ is None and error.__context__ is None
        else:
            texts.extend(shown(outcome))

    return attempt


@dataclass
class Call:
    """One request the stand-in answered."""

    method: str
    url: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None
    authorization: str | None


@dataclass
class Fault:
    """An answer forced onto matching requests, `times` times, before the stand-in answers normally."""

    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: str
    times: int
    page: str | None = None
    error: Exception | None = None
    landed: bool = False


@dataclass
class FakeGitHub:
    """One repository with one pull request whose comments live in memory; paginates like GitHub.

    Link headers name the repository by id (`/repositories/4242/...`), as GitHub's do, so a client
    must follow them rather than build page URLs itself.
    """

    api: str = "https://api.github.com"
    repository: str = "octo/skills"
    number: int = 7
    token: str = "ghs_faketoken0123456789"
    comments: list[dict[str, Any]] = field(default_factory=list)
    #: The repository's issues (not the pull request), in the order they were created.
    issues: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    next_id: int = 1000
    next_number: int = 100

    # -- setting up ---------------------------------------------------------------------------------

    def install(self, mock: responses.RequestsMock) -> None:
        """Answer every method on every URL under the API base from this stand-in."""
        base = urlsplit(self.api.rstrip("/"))  # PyGithub spells out the default port: host:443
        pattern = re.compile(
            re.escape(f"{base.scheme}://{base.hostname}") + r"(:\d+)?" + re.escape(base.path) + r"([/?].*)?$"
        )
        for method in (responses.GET, responses.POST, responses.PATCH):
            mock.add_callback(method, pattern, callback=self._answer)

    def add_comment(self, body: str, *, user: str = "someone") -> dict[str, Any]:
        """A comment already on the pull request."""
        comment = self._comment(body, user=user)
        self.comments.append(comment)
        return comment

    def add_issue(
        self, title: str, body: str, *, labels: tuple[str, ...] = ("weekly-report",), state: str = "open"
    ) -> dict[str, Any]:
        """An issue already in the repository."""
        issue = self._issue(title, body, labels=labels, state=state)
        self.issues.append(issue)
        return issue

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        message: str | None = None,
        times: int = 1,
        page: int | None = None,
        landed: bool = False,
    ) -> None:
        """Answer `method path` (relative to the API base) with status, `times` times.

        With `landed`, the request takes effect before the failure is answered, as a write behind a
        502 from GitHub's front end sometimes does.
        """
        if message is None:
            body = f"<html><body><h1>{status}</h1></body></html>"
        else:
            body = json.dumps({"message": message, "documentation_url": "https://docs.github.com/rest"})
        page_text = None if page is None else str(page)
        self.faults.append(Fault(method, path, status, headers or {}, body, times, page_text, landed=landed))

    def drop_connection(self, method: str, path: str, *, times: int = 1) -> None:
        """Make `method path` fail as if the connection were refused, `times` times."""
        error = requests.exceptions.ConnectionError("connection refused")
        self.faults.append(Fault(method, path, 0, {}, "", times, error=error))

    def arguments(self, call: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments for a skillci.github call against this stand-in: its repository, token and API URL,
        then the call's own, then options (each may replace what comes before)."""
        return {"repository": self.repository, "token": self.token, "api_url": self.api, **call, **options}

    # -- reading what happened ------------------------------------------------------------------

    @property
    def issue_path(self) -> str:
        """The pull request's issue path, relative to the API base."""
        return f"/repos/{self.repository}/issues/{self.number}"

    def requests(self, method: str, path: str | None = None) -> list[Call]:
        """The calls made with method (and path, when given)."""
        return [call for call in self.calls if call.method == method and (path is None or call.path == path)]

    def writes(self) -> list[Call]:
        """The POST and PATCH calls."""
        return [call for call in self.calls if call.method in ("POST", "PATCH")]

    # -- answering ------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.api.rstrip("/") + path

    def _comment(self, body: str, *, user: str) -> dict[str, Any]:
        self.next_id += 1
        number = self.next_id
        return {
            "id": number,
            "node_id": f"IC_{number}",
            "url": self._url(f"/repos/{self.repository}/issues/comments/{number}"),
            "html_url": f"https://github.com/{self.repository}/pull/{self.number}#issuecomment-{number}",
            "issue_url": self._url(self.issue_path),
            "body": body,
            "user": {"login": user, "id": 1, "type": "User"},
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
        }

    def _issue(
        self, title: str, body: str | None, *, labels: tuple[str, ...] | list[str], state: str
    ) -> dict[str, Any]:
        self.next_id += 1
        self.next_number += 1
        number = self.next_number
        return {
            "id": self.next_id,
            "node_id": f"I_{self.next_id}",
            "number": number,
            "url": self._url(f"/repos/{self.repository}/issues/{number}"),
            "html_url": f"https://github.com/{self.repository}/issues/{number}",
            "title": title,
            "body": body,
            "state": state,
            "labels": [{"id": index + 1, "name": name, "color": "ededed"} for index, name in enumerate(labels)],
            "user": {"login": "github-actions[bot]", "id": 2, "type": "Bot"},
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
        }

    def _answer(self, request: requests.PreparedRequest) -> Exception | tuple[int, dict[str, str], str]:
        split = urlsplit(str(request.url))
        base = urlsplit(self.api).path.rstrip("/")
        path = split.path[len(base) :] if split.path.startswith(base) else split.path
        path = path.replace(f"/repositories/{REPO_ID}/", f"/repos/{self.repository}/")
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        raw = request.body
        payload = json.loads(raw) if raw else None
        method = str(request.method)
        self.calls.append(Call(method, str(request.url), path, query, payload, request.headers.get("Authorization")))
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path == path:
                if fault.page is not None and query.get("page", "1") != fault.page:
                    continue
                fault.times -= 1
                if fault.landed:
                    self._handle(method, path, query, payload, request.headers.get("Authorization"))
                if fault.error is not None:
                    return fault.error
                kind = "application/json" if fault.body.startswith("{") else "text/html"
                return fault.status, {"Content-Type": kind, **fault.headers}, fault.body
        return self._handle(method, path, query, payload, request.headers.get("Authorization"))

    def _handle(
        self, method: str, path: str, query: dict[str, str], payload: dict[str, Any] | None, authorization: str | None
    ) -> tuple[int, dict[str, str], str]:
        if authorization != f"token {self.token}":
            return self._json(401, {"message": "Bad credentials"})
        repo_path = f"/repos/{self.repository}"
        comment_prefix = f"{repo_path}/issues/comments/"
        if method == "GET" and path == repo_path:
            return self._json(200, {"id": REPO_ID, "full_name": self.repository, "url": self._url(repo_path)})
        if method == "GET" and path == self.issue_path:
            return self._json(200, {"number": self.number, "url": self._url(self.issue_path), "pull_request": {}})
        if path == f"{self.issue_path}/comments" and method == "GET":
            return self._page(query)
        issues_path = f"{repo_path}/issues"
        if path == issues_path and method == "GET":
            return self._issue_page(query)
        if path == issues_path and method == "POST" and payload is not None:
            issue = self._issue(payload["title"], payload.get("body"), labels=payload.get("labels") or [], state="open")
            self.issues.append(issue)
            return self._json(201, issue)
        if path.startswith(f"{issues_path}/") and method == "PATCH" and payload is not None:
            wanted = path[len(issues_path) + 1 :]
            for issue in self.issues:
                if str(issue["number"]) == wanted:
                    issue.update({key: payload[key] for key in ("title", "body", "state") if key in payload})
                    return self._json(200, issue)
        if path == f"{self.issue_path}/comments" and method == "POST" and payload is not None:
            comment = self._comment(payload["body"], user="github-actions[bot]")
            self.comments.append(comment)
            return self._json(201, comment)
        if path.startswith(comment_prefix) and method == "PATCH" and payload is not None:
            wanted = int(path[len(comment_prefix) :])
            for comment in self.comments:
                if comment["id"] == wanted:
                    comment["body"] = payload["body"]
                    return self._json(200, comment)
        return self._json(404, {"message": "Not Found"})

    def _page(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        per_page = min(int(query.get("per_page", "30")), 100)
        page = int(query.get("page", "1"))
        chunk = self.comments[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(self.comments) // per_page))
        headers: dict[str, str] = {}
        if page < last:
            base = self._url(f"/repositories/{REPO_ID}/issues/{self.number}/comments")
            headers["Link"] = (
                f'<{base}?per_page={per_page}&page={page + 1}>; rel="next", '
                f'<{base}?per_page={per_page}&page={last}>; rel="last"'
            )
        return self._json(200, chunk, headers)

    def _issue_page(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """GET /repos/{repo}/issues: filtered by labels (all of them) and state (open by default), created order
        (or newest first with direction=desc), paginated with Link headers naming the repository by id."""
        wanted = [name for name in query.get("labels", "").split(",") if name]
        state = query.get("state", "open")
        chosen = [
            issue
            for issue in self.issues
            if all(name in [label["name"] for label in issue["labels"]] for name in wanted)
            and (state == "all" or issue["state"] == state)
        ]
        if query.get("direction", "desc" if query.get("sort", "created") == "created" else "asc") == "desc":
            chosen.reverse()
        per_page = min(int(query.get("per_page", "30")), 100)
        page = int(query.get("page", "1"))
        chunk = chosen[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(chosen) // per_page))
        headers: dict[str, str] = {}
        if page < last:
            base = self._url(f"/repositories/{REPO_ID}/issues")
            kept = {key: value for key, value in query.items() if key != "page"}
            headers["Link"] = (
                f'<{base}?{urlencode({**kept, "page": page + 1})}>; rel="next", '
                f'<{base}?{urlencode({**kept, "page": last})}>; rel="last"'
            )
        return self._json(200, chunk, headers)

    @staticmethod
    def _json(status: int, data: object, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        return status, {"Content-Type": JSON_TYPE, **(headers or {})}, json.dumps(data)
