"""A loopback stand-in for Supabase's PostgREST (`/rest/v1`), answering from a real PostgreSQL."""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from psycopg import sql

Query = dict[str, list[str]]
Reply = tuple[int, dict[str, str], bytes]
Connection = psycopg.Connection[Any]
EMPTY = sql.SQL("")
RESERVED = {"select", "order", "limit", "offset", "on_conflict", "columns"}
OPERATORS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "like": "like", "ilike": "ilike"}
ORDER_WORDS = {"asc": "asc", "desc": "desc", "nullsfirst": "nulls first", "nullslast": "nulls last"}
STATUS_BY_CODE = {"23503": 409, "23505": 409, "25006": 405, "P0001": 400, "42883": 404, "42P01": 404, "53400": 500}
STATUS_BY_CLASS = {"08": 503, "0L": 403, "0P": 403, "22": 400, "23": 400, "28": 403, "42": 400, "53": 503}
JSON_TYPE = "application/json; charset=utf-8"
OBJECT_TYPE = "application/vnd.pgrst.object+json"
FUNCTIONS_SQL = """
select coalesce(p.proargnames, '{}')::text[], coalesce(p.proargmodes::text[], '{}'),
       array(select format_type(a.t, null) from unnest(p.proargtypes::oid[]) with ordinality a(t, i) order by a.i),
       p.pronargdefaults, case when p.prorettype = 'void'::regtype then 'void' when not p.proretset then 'one'
       when t.typtype = 'c' or p.prorettype = 'record'::regtype then 'rows' else 'set' end
from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_type t on t.oid = p.prorettype
where n.nspname = %s and p.proname = %s and p.prokind = 'f'"""
PRIMARY_KEY_SQL = """select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid
and a.attnum = any(i.indkey) where i.indrelid = %s::regclass and i.indisprimary"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(signing_input: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()


def make_jwt(claims: dict[str, Any], secret: str) -> str:
    """An HS256 JSON Web Token carrying claims, signed with secret."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    signing_input = f"{header}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{signing_input}.{_b64(_sign(signing_input, secret))}"


class ApiError(Exception):
    """An error answered the PostgREST way: an HTTP status and a JSON body of code, message, details, hint."""

    def __init__(self, status: int, code: str | None, message: str, details: Any = None, hint: Any = None) -> None:
        super().__init__(message)
        self.status, self.body = status, {"code": code, "message": message, "details": details, "hint": hint}


def verify_jwt(token: str, secret: str) -> dict[str, Any]:
    """The claims of token if it is an unexpired HS256 JWT signed with secret; ApiError 401 otherwise."""

    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    try:
        header, payload, signature = token.split(".")
        valid = json.loads(unb64(header)).get("alg") == "HS256"
        valid = valid and hmac.compare_digest(_sign(f"{header}.{payload}", secret), unb64(signature))
        claims = json.loads(unb64(payload)) if valid else None
    except (ValueError, AttributeError):
        claims = None
    if not isinstance(claims, dict):
        raise ApiError(401, "PGRST301", "JWSError JWSInvalidSignature")
    if isinstance(claims.get("exp"), int | float) and claims["exp"] <= time.time():
        raise ApiError(401, "PGRST303", "JWT expired")
    return claims


@dataclass
class RecordedRequest:
    """One request as the stand-in received it (header names lower-cased, query as parse_qs gives it)."""

    method: str
    path: str
    query: Query
    headers: dict[str, str]
    body: bytes
    json: Any
    status: int | None = None  # the status answered; None while serving or when the connection was dropped


@dataclass
class _Context:
    """What one request's handlers share: its transaction and its parsed parts."""

    conn: Connection
    schema: str
    query: Query
    headers: dict[str, str]
    payload: Any
    reading: bool  # GET or HEAD
    prefer: set[str]


def _names(text: str) -> list[str]:
    return [name.strip().strip('"') for name in text.split(",") if name.strip()]


def _columns(query: Query) -> sql.Composable:
    """The select list for `select=`: `*`, names and `alias:name` (no embedding, no casts)."""
    select = (query.get("select") or ["*"])[-1]
    if select in ("", "*"):
        return sql.SQL("*")
    if "(" in select or "::" in select:
        raise ApiError(400, "PGRST100", f'"failed to parse select parameter ({select})"', hint="not in the stand-in")
    items: list[sql.Composable] = []
    for item in select.split(","):
        alias, _, name = item.rpartition(":")
        column = sql.SQL("*") if name == "*" else sql.Identifier(name.strip('"'))
        items.append(sql.SQL("{} as {}").format(column, sql.Identifier(alias.strip('"'))) if alias else column)
    return sql.SQL(", ").join(items)


def _condition(column: sql.Identifier, value: str) -> tuple[sql.Composable, list[str]]:
    """One filter such as `eq.5`, `not.is.null` or `in.(a,"b,c")` as SQL and its parameters."""
    op, _, operand = value.removeprefix("not.").partition(".")
    params: list[str] = []
    if op in OPERATORS:
        clause: sql.Composable = sql.SQL("{} " + OPERATORS[op] + " %s").format(column)
        params = [operand.replace("*", "%") if op in ("like", "ilike") else operand]
    elif op == "is" and operand in ("null", "true", "false", "unknown"):
        clause = sql.SQL("{} is " + operand).format(column)
    elif op == "in" and operand.startswith("(") and operand.endswith(")"):
        params = next(csv.reader([operand[1:-1]], escapechar="\\"), [])
        placeholders = sql.SQL(", ").join(sql.Placeholder() * len(params))
        clause = sql.SQL("{} in ({})").format(column, placeholders) if params else sql.SQL("false")
    else:
        raise ApiError(400, "PGRST100", f'"failed to parse filter ({value})"', hint="not in the stand-in")
    return (sql.SQL("not ({})").format(clause) if value.startswith("not.") else clause), params


def _where(query: Query, skip: Collection[str] = (), qualifier: str | None = None) -> tuple[sql.Composable, list[str]]:
    clauses: list[sql.Composable] = []
    params: list[str] = []
    for key, values in query.items():
        if key not in RESERVED and key not in skip:
            column = sql.Identifier(*([qualifier] if qualifier else []), key.strip('"'))
            for value in values:
                clause, args = _condition(column, value)
                clauses.append(clause)
                params += args
    return (sql.SQL(" where ") + sql.SQL(" and ").join(clauses)) if clauses else sql.SQL(""), params


def _order(query: Query) -> sql.Composable:
    terms: list[sql.Composable] = []
    for term in filter(None, (query.get("order") or [""])[-1].split(",")):
        name, *modifiers = term.split(".")
        words = " ".join(ORDER_WORDS[m] for m in modifiers if m in ORDER_WORDS)
        terms.append(sql.SQL("{} " + words).format(sql.Identifier(name.strip('"'))))
    return (sql.SQL(" order by ") + sql.SQL(", ").join(terms)) if terms else sql.SQL("")


def _reply_rows(
    ctx: _Context, prefix: sql.Composable, inner: sql.Composable, params: list[Any], status: int, range_: str = "*/*"
) -> Reply:
    """The rows of inner as a JSON array made by PostgreSQL, or as one object when the client asked for that."""
    outer = "select coalesce(json_agg(_t), '[]')::text, (json_agg(_t) -> 0)::text, count(*) from ({}) _t"
    array, first, count = ctx.conn.execute(prefix + sql.SQL(outer).format(inner), params).fetchone() or ("", "", 0)
    offset, _, total = range_.partition("/")
    headers = {"Content-Range": f"{offset}-{int(offset) + count - 1}/{total}" if count and offset != "*" else range_}
    if OBJECT_TYPE not in ctx.headers.get("accept", ""):
        return status, {"Content-Type": JSON_TYPE, **headers}, array.encode()
    if count != 1:
        raise ApiError(406, "PGRST116", "Cannot coerce the result to a single JSON object", f"{count} rows")
    return status, {"Content-Type": f"{OBJECT_TYPE}; charset=utf-8", **headers}, first.encode()


def _read(
    ctx: _Context,
    source: sql.Composable,
    prefix: sql.Composable = EMPTY,
    prefix_params: list[Any] | None = None,
    skip: Collection[str] = (),
) -> Reply:
    """GET on a table, or on a function returning rows: filters, order, limit/offset or Range, and counting."""
    where, filter_params = _where(ctx.query, skip)
    params = [*(prefix_params or []), *filter_params]
    offset, limit = int((ctx.query.get("offset") or ["0"])[-1]), (ctx.query.get("limit") or [""])[-1]
    first, _, last = ctx.headers.get("range", "").partition("-")
    if first.isdigit() and "offset" not in ctx.query:
        offset, limit = int(first), limit or (str(int(last) - int(first) + 1) if last.isdigit() else "")
    total = "*"
    if "count=exact" in ctx.prefer:
        counted = ctx.conn.execute(prefix + sql.SQL("select count(*) from {} _r").format(source) + where, params)
        total = str((counted.fetchone() or [0])[0])
    paging = sql.SQL(" limit {} offset {}").format(int(limit) if limit else None, offset)
    inner = sql.SQL("select {} from {} _r").format(_columns(ctx.query), source) + where + _order(ctx.query) + paging
    return _reply_rows(ctx, prefix, inner, params, 200, f"{offset}/{total}")


def _write(ctx: _Context, statement: sql.Composed, params: list[Any], created: bool = False) -> Reply:
    """Run an insert, update or delete, answering its rows when `Prefer: return=representation`."""
    status = 201 if created else 200
    if "return=representation" not in ctx.prefer:
        ctx.conn.execute(statement, params)
        return (status if created else 204), {"Content-Range": "*/*"}, b""
    prefix = sql.SQL("with _w as ({} returning {}) ").format(statement, sql.SQL("*" if created else "_u.*"))
    return _reply_rows(ctx, prefix, sql.SQL("select {} from _w").format(_columns(ctx.query)), params, status)


def _insert(ctx: _Context, schema: str, name: str) -> Reply:
    """POST on a table: insert one object or an array of them, upserting on `Prefer: resolution=...`."""
    rows = ctx.payload if isinstance(ctx.payload, list) else [ctx.payload]
    if not all(isinstance(row, dict) for row in rows):
        raise ApiError(400, "PGRST102", "All object keys must match")
    query, table = ctx.query, sql.Identifier(schema, name)
    columns = _names(query["columns"][-1]) if "columns" in query else list(dict.fromkeys(k for r in rows for k in r))
    template = "insert into {0} ({1}) select {1} from json_populate_recordset(null::{0}, %s::json)"
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    statement = sql.SQL(template if columns else "insert into {0} default values").format(table, names)
    resolution = next((p.partition("=")[2] for p in ctx.prefer if p.startswith("resolution=")), None)
    if resolution:
        primary = (row[0] for row in ctx.conn.execute(PRIMARY_KEY_SQL, [table.as_string(ctx.conn)]))
        keys = _names(query["on_conflict"][-1]) if "on_conflict" in query else list(primary)
        updates = sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in columns)
        merge = resolution == "merge-duplicates" and columns
        action = sql.SQL("do update set {}").format(updates) if merge else sql.SQL("do nothing")
        statement += sql.SQL(" on conflict ({}) {}").format(sql.SQL(", ").join(map(sql.Identifier, keys)), action)
    return _write(ctx, statement, [json.dumps(rows)], created=True)


def _rpc(ctx: _Context, name: str) -> Reply:
    """/rpc/name: call the overload whose argument names fit, with arguments from the body (POST) or query (GET)."""
    if ctx.reading:
        args: dict[str, Any] = {k: v[-1] for k, v in ctx.query.items() if k not in RESERVED}
    elif isinstance(ctx.payload, dict) or ctx.payload is None:
        args = ctx.payload or {}
    else:
        raise ApiError(400, "PGRST102", "Function arguments must be a JSON object")
    overloads = [
        ([n for n, m in zip(names, modes or "i" * len(types), strict=False) if m in "ibv"], types, defaults, shape)
        for names, modes, types, defaults, shape in ctx.conn.execute(FUNCTIONS_SQL, [ctx.schema, name])
    ]
    fitting = [
        ({n: t for n, t in zip(inputs, types, strict=True) if n in args}, shape)
        for inputs, types, defaults, shape in overloads
        if len(inputs) == len(types) and set(inputs[: len(inputs) - defaults]) <= set(args)
        if ctx.reading or set(args) <= set(inputs)
    ]
    if not fitting:
        signature = f"{ctx.schema}.{name}({', '.join(sorted(args))})"
        raise ApiError(404, "PGRST202", f"Could not find the function {signature} in the schema cache")
    typed, shape = fitting[0]
    values = {
        n: _json_or_text(args[n]) if ctx.reading and t in ("json", "jsonb") else args[n] for n, t in typed.items()
    }
    call = sql.SQL("{}({})").format(
        sql.Identifier(ctx.schema, name),
        sql.SQL(", ").join(sql.SQL("{0} => (select _a.{0} from _a)").format(sql.Identifier(n)) for n in typed),
    )
    definitions = sql.SQL(", ").join(sql.SQL("{} " + t).format(sql.Identifier(n)) for n, t in typed.items())
    arguments = sql.SQL("with _a as (select * from json_to_record(%s::json) as _x({})) ").format(definitions)
    prefix, params = (arguments, [json.dumps(values)]) if typed else (EMPTY, [])
    if shape == "rows":
        return _read(ctx, call, prefix, params, skip=typed)
    result = {"set": "coalesce(json_agg(_r), '[]')::text", "void": "'null'", "one": "to_json(_r)::text"}[shape]
    row = ctx.conn.execute(prefix + sql.SQL("select " + result + " from {} _r").format(call), params).fetchone()
    return 200, {"Content-Type": JSON_TYPE}, (row[0] if row and row[0] is not None else "null").encode()


def _json_or_text(value: str) -> Any:
    """A json/jsonb function argument given in a query string: parsed if it is JSON, else kept as text."""
    with contextlib.suppress(ValueError):
        return json.loads(value)
    return value


def _db_error(exc: psycopg.Error, role: str, anon_role: str) -> ApiError:
    """A PostgreSQL error as PostgREST answers it, with PostgREST's status for its SQLSTATE."""
    code, diag = exc.sqlstate or "", exc.diag
    if not code:
        return ApiError(503, "PGRST000", f"Database client error: {exc}")
    status = STATUS_BY_CODE.get(code) or STATUS_BY_CLASS.get(code[:2], 500)
    if code == "42501":
        status = 401 if role == anon_role else 403
    elif code.startswith("PT") and code[2:].isdigit():
        status = int(code[2:])
    return ApiError(status, code, diag.message_primary or str(exc), diag.message_detail, diag.message_hint)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def do_GET(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.standin.serve(self.command, self.path, headers, body)
        if reply is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, response_headers, payload = reply
        self.send_response(status)
        for name, value in {**response_headers, "Content-Length": str(len(payload))}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_HEAD = do_POST = do_PATCH = do_DELETE = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: PostgrestStandin


class PostgrestStandin:
    """PostgREST's HTTP surface on 127.0.0.1, running each request as the JWT's role on a real PostgreSQL."""

    def __init__(
        self,
        database_url: str,
        jwt_secret: str,
        exposed_schemas: tuple[str, ...] = ("public",),
        anon_role: str = "anon",
    ) -> None:
        self.database_url, self.jwt_secret = database_url, jwt_secret
        self.exposed_schemas, self.anon_role = exposed_schemas, anon_role
        self.requests: list[RecordedRequest] = []
        self.url = ""
        self._lock = threading.Lock()
        self._failures: list[tuple[int, bool]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> PostgrestStandin:
        """Listen on a free loopback port, serving from a daemon thread."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="postgrest-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> PostgrestStandin:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def fail_next(self, count: int, status: int = 503, drop_connection: bool = False) -> None:
        """Fail the next count requests before any database work: with status, or by closing the connection."""
        with self._lock:
            self._failures += [(status, drop_connection)] * count

    def serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply | None:
        """The reply to one request, or None to drop the connection without one."""
        url = urlsplit(target)
        path, query = unquote(url.path), parse_qs(url.query, keep_blank_values=True)
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        record = RecordedRequest(method, path, query, headers, body, payload)
        with self._lock:
            self.requests.append(record)
            failure = self._failures.pop(0) if self._failures else None
        if failure and failure[1]:
            return None
        try:
            if failure:
                raise ApiError(failure[0], "PGRST000", f"Injected failure (HTTP {failure[0]})")
            if body and payload is None:
                raise ApiError(400, "PGRST102", "Empty or invalid json")
            reply = self._dispatch(method, path, query, headers, payload)
        except ApiError as error:
            extra = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
            reply = error.status, {"Content-Type": JSON_TYPE, **extra}, json.dumps(error.body).encode()
        except Exception as exc:  # a stand-in bug must still answer rather than hang the client
            reply = 500, {"Content-Type": JSON_TYPE}, json.dumps({"code": "STANDIN", "message": repr(exc)}).encode()
        record.status = reply[0]
        return reply

    def _claims(self, headers: dict[str, str]) -> dict[str, Any]:
        """The JWT claims of the request: `apikey` and `Authorization: Bearer` must both verify; the latter wins."""
        authorization = headers.get("authorization", "")
        bearer = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
        tokens = [token for token in (headers.get("apikey", ""), bearer) if token]
        if not tokens:
            raise ApiError(401, None, "No API key found in request", hint="No `apikey` request header was found.")
        return [verify_jwt(token, self.jwt_secret) for token in tokens][-1]

    def _schema(self, method: str, headers: dict[str, str]) -> str:
        profile = headers.get("accept-profile" if method in ("GET", "HEAD") else "content-profile")
        if profile and profile not in self.exposed_schemas:
            schemas = ", ".join(self.exposed_schemas)
            raise ApiError(406, "PGRST106", f"The schema must be one of the following: {schemas}")
        return profile or self.exposed_schemas[0]

    @contextlib.contextmanager
    def _transaction(self, claims: dict[str, Any], schema: str, method: str, path: str) -> Iterator[Connection]:
        """A transaction as the JWT's role, with PostgREST's request settings, read-only for GET and HEAD."""
        role = str(claims.get("role") or self.anon_role)
        settings = {"request.jwt.claims": json.dumps(claims), "request.jwt.claim.role": role, "request.method": method}
        settings |= {"request.path": path} | ({"request.jwt.claim.sub": str(claims["sub"])} if "sub" in claims else {})
        try:
            with psycopg.connect(self.database_url, connect_timeout=10) as conn:
                conn.read_only = method in ("GET", "HEAD")
                conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
                settings["search_path"] = sql.Identifier(schema).as_string(conn) + ", public, extensions"
                calls = sql.SQL(", ").join(sql.SQL("set_config(%s, %s, true)") for _ in settings)
                conn.execute(sql.SQL("select ") + calls, [item for pair in settings.items() for item in pair])
                yield conn
        except psycopg.Error as exc:
            raise _db_error(exc, role, self.anon_role) from exc

    def _dispatch(self, method: str, path: str, query: Query, headers: dict[str, str], payload: Any) -> Reply:
        resource = path.removeprefix("/rest/v1/").strip("/")
        if not path.startswith("/rest/v1/") or not resource:
            raise ApiError(404, "PGRST125", f"Invalid path specified in request URL: {path}")
        claims, schema = self._claims(headers), self._schema(method, headers)
        with self._transaction(claims, schema, method, path) as conn:
            prefer = {item.strip() for item in headers.get("prefer", "").split(",")}
            ctx = _Context(conn, schema, query, headers, payload, method in ("GET", "HEAD"), prefer)
            if resource.startswith("rpc/"):
                return _rpc(ctx, resource.removeprefix("rpc/"))
            table = sql.Identifier(schema, resource)
            if conn.execute("select to_regclass(%s)", [table.as_string(conn)]).fetchone() == (None,):
                raise ApiError(404, "PGRST205", f"Could not find the table '{schema}.{resource}' in the schema cache")
            if ctx.reading:
                return _read(ctx, table)
            if method == "POST":
                return _insert(ctx, schema, resource)
            where, params = _where(query, qualifier="_u")
            if method == "DELETE":
                return _write(ctx, sql.SQL("delete from {} as _u").format(table) + where, params)
            if method == "PATCH" and isinstance(payload, dict) and payload:
                assign = sql.SQL(", ").join(sql.SQL("{0} = _j.{0}").format(sql.Identifier(c)) for c in payload)
                update = "update {0} as _u set {1} from json_populate_record(null::{0}, %s::json) _j"
                statement = sql.SQL(update).format(table, assign) + where
                return _write(ctx, statement, [json.dumps(payload), *params])
        raise ApiError(400 if method == "PATCH" else 405, "PGRST102", f"Unsupported {method} request")
