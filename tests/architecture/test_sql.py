"""Every SQL statement is parameterised: values go in as bound parameters, never into the text.

An AST check over custom_components/spinstack: text built with an f-string, ``%``, ``.format`` or ``+`` that reads
as SQL, and any statement so built that reaches ``execute``, ``executemany``, ``executescript``, ``execute_all``,
``execute_many``, ``scalar``, ``rows``, ``plan``, ``query`` or ``explain`` (the store's methods and sqlite3's and
aiosqlite's own), is a site of interpolation. Each site is listed below, by file and function, with what it puts
into the text, after review: a new site, or one more in a listed function, fails until it is reviewed and listed; a
site that went away must leave the list too. ruff's S608 (which flags such text where it sees it) must stay on.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
import json
from pathlib import Path
import re
import tomllib

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "custom_components" / "spinstack"

# Methods whose first argument is SQL (or, for query/explain, the name of a stored statement).
SQL_CALLS = frozenset(
    {
        "execute",
        "executemany",
        "executescript",
        "execute_all",
        "execute_many",
        "scalar",
        "rows",
        "plan",
        "query",
        "explain",
        "execute_fetchall",
        "execute_insert",
    }
)
SQL_WORDS = re.compile(
    r"\b(?:SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|EXPLAIN|FROM|WHERE|JOIN|VALUES|SET|INTO|"
    r"UNION|LIMIT|ORDER BY|GROUP BY|AND|OR|IN|ON)\b"
)


@dataclass(frozen=True)
class Reviewed:
    """A reviewed site: how many interpolations the function has, and what each puts into the SQL; for the insights
    (STRICT), also the source of every expression put into the text, exactly."""

    count: int
    puts: str
    expressions: frozenset[str] | set[str] | None = None


NAMES = "fixed table and column names, SQL fragments written in the code, ? placeholders"
PRAGMA = "an int (a constant or a loop counter, formatted :d) in a PRAGMA, which takes no bound parameters"
# Files where every expression put into SQL text is listed (Reviewed.expressions), and none may hold a value.
STRICT = ("insights/",)
# How ? placeholders are written.
MARKS = "','.join('?' * len(values))"
MARKS_GEN = "','.join(('?' for _ in values))"
NOT_SQL = "not SQL"

# (file under custom_components/spinstack, function or module-level name): the review.
REVIEWED: dict[tuple[str, str], Reviewed] = {
    # -- fixed names and fragments only --------------------------------------------------------------------------
    ("insights/views.py", "Insights._scope"): Reviewed(
        2, f"{NAMES}: the column of each filter, one ? per value", {"column", "' AND '.join(clauses)", MARKS_GEN}
    ),
    # The insights: names of views._NAMES only, through views._name (which refuses any other), and filters and lists
    # of ids as ? placeholders (views._in: one ? per value, or one JSON array for json_each).
    ("insights/views.py", "_in"): Reviewed(2, f"{NAMES}: a column of _NAMES, one ? per value", {"column", MARKS}),
    ("insights/views.py", "_Scope.ctx"): Reviewed(1, f"{NAMES}: _in's ` AND column IN (?, ...)`", {"sql"}),
    ("insights/views.py", "_Scope.by_context"): Reviewed(1, f"{NAMES}: _in's ` AND context_id IN (?, ...)`", {"sql"}),
    ("insights/views.py", "Insights._days"): Reviewed(1, f"{NAMES}: _Scope.by_context", {"contexts"}),
    ("insights/views.py", "Insights._active_days"): Reviewed(1, f"{NAMES}: _Scope.by_context", {"contexts"}),
    ("insights/views.py", "Insights._view_summary"): Reviewed(1, f"{NAMES}: _Scope.ctx", {"kept"}),
    ("insights/views.py", "Insights._long_sums"): Reviewed(
        2, f"{NAMES}: the key column (_name); _Scope.ctx, _Scope.by_context", {"_name(by)", "kept", "contexts"}
    ),
    ("insights/views.py", "Insights._sums"): Reviewed(
        8,
        f"{NAMES}: roll-up and counter names, key expressions and joins (each through _name), LIMIT ?; _Scope.ctx; "
        "the UNION ALL of the parts built here",
        {
            "key",
            "r_ctx",
            "r_year",
            "plays_key",
            "join",
            "_name(counters)",
            "kept",
            "in_r",
            "in_plays",
            "order",
            "' UNION ALL '.join(parts)",
        },
    ),
    ("insights/views.py", "Insights._plays_items"): Reviewed(1, f"{NAMES}: _Scope.ctx", {"in_plays"}),
    ("insights/views.py", "Insights._top_by_counter"): Reviewed(
        3, f"{NAMES}: a counter table (_name); a roll-up joined on it, built by _sums", {"counters", "source"}
    ),
    ("insights/views.py", "Insights._names"): Reviewed(
        1, f"{NAMES}: a select of _NAME_QUERIES (a dict literal); _in over its id column", {"select", "where"}
    ),
    ("insights/views.py", "Insights._view_breakdown"): Reviewed(1, f"{NAMES}: _Scope.by_context", {"contexts"}),
    ("insights/views.py", "Insights._view_discovery"): Reviewed(1, f"{NAMES}: _Scope.ctx", {"kept"}),
    ("insights/views.py", "Insights._all_time_discovery"): Reviewed(1, f"{NAMES}: _Scope.ctx", {"kept"}),
    ("insights/views.py", "Insights._view_genres"): Reviewed(1, f"{NAMES}: _in over artist_id", {"where"}),
    ("insights/views.py", "Insights._view_on_this_day"): Reviewed(1, f"{NAMES}: _Scope.ctx", {"kept"}),
    ("insights/views.py", "Insights._view_comebacks"): Reviewed(1, f"{NAMES}: _in over a.id", {"candidates"}),
    ("insights/views.py", "Insights.plays"): Reviewed(
        2, f"{NAMES}: the drill's clauses (literals, ? each); _Scope.ctx", {"clause", "conditions", "kept"}
    ),
    ("store/bulk.py", "_insert_sql"): Reviewed(
        1, f"{NAMES}: the table and columns BulkWriter passes (literals), one (?,...) per row"
    ),
    ("store/bulk.py", "_CREATE_INCOMING"): Reviewed(2, f"{NAMES}: the temporary table's name"),
    ("store/bulk.py", "_INSERT_NEW_PLAYS"): Reviewed(1, f"{NAMES}: the column list, the temporary table's name"),
    ("store/bulk.py", "_counters_sql"): Reviewed(1, f"{NAMES}: a counter table and its update (_COUNTERS), ? only"),
    ("store/bulk.py", "BulkWriter._insert_plays"): Reviewed(1, f"{NAMES}: the temporary table's name"),
    ("store/bulk.py", "BulkWriter._insert_names"): Reviewed(
        2, f"{NAMES}: the table and columns _store_names passes (literals), json_each positions (enumerate)"
    ),
    ("store/enrichment.py", "due"): Reviewed(1, f"{NAMES}: one ? per plugin"),
    ("store/enrichment.py", "next_due"): Reviewed(1, f"{NAMES}: one ? per plugin"),
    ("store/enrichment.py", "record_found"): Reviewed(
        5, f"{NAMES}: a column of _TRACK_COLUMNS' values; a fixed sub-select taking the track id as a ?"
    ),
    ("store/outbox.py", "_ITEMS"): Reviewed(1, f"{NAMES}: PLAY_RECORD"),
    ("store/queries.py", "QUERIES"): Reviewed(2, f"{NAMES}: the play columns and joins (S608 is off in this file)"),
    ("store/queries.py", "PLAY_RECORD"): Reviewed(1, f"{NAMES}: the play columns and joins"),
    ("store/queries.py", "PLAYS_AFTER"): Reviewed(1, f"{NAMES}: PLAY_RECORD"),
    ("store/schema.py", "Rollup.ddl"): Reviewed(1, f"{NAMES}: a roll-up's table and key columns"),
    ("store/schema.py", "Rollup.upsert"): Reviewed(1, f"{NAMES}: a roll-up's table and key columns, rows of ? marks"),
    ("store/schema.py", "Rollup.sum_from"): Reviewed(1, f"{NAMES}: a roll-up's names; ROLLUP_SOURCE or a temp table"),
    ("store/schema.py", "_FOLD_SOURCE"): Reviewed(1, f"{NAMES}: ROLLUP_SOURCE"),
    ("store/schema.py", "_v7_year_rollups"): Reviewed(3, f"{NAMES}: version 7's roll-ups' tables and key columns"),
    ("store/store.py", "Store.plan"): Reviewed(1, "EXPLAIN QUERY PLAN put before the caller's statement"),
    ("store/store.py", "Store.explain"): Reviewed(1, "EXPLAIN QUERY PLAN put before a stored statement"),
    ("store/bulk.py", "BulkWriter.open"): Reviewed(2, f"{PRAGMA}: cache_size, wal_autocheckpoint"),
    ("store/schema.py", "migrate"): Reviewed(1, f"{PRAGMA}: user_version"),
    # -- text that reads as SQL but is not -----------------------------------------------------------------------
    ("plugins/musicbrainz.py", "search_recordings"): Reviewed(1, f"{NOT_SQL}: a Lucene query for MusicBrainz' search"),
}


# -- finding the sites -----------------------------------------------------------------------------------------------
def _literal_text(node: ast.AST) -> str:
    """The text written in the code of an expression (its string constants)."""
    return " ".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _is_interpolation(node: ast.AST, *, any_receiver: bool = False) -> bool:
    """Text built from something other than literals: an f-string with a field, ``%``, ``.format`` or ``+``. Where
    the text is known to reach an SQL call, ``any_receiver``: ``sql % x`` and ``sql.format(x)`` count too."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(value, ast.FormattedValue) for value in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return any_receiver or _is_text(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return any_receiver or _is_text(node.func.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        operands = _added(node)
        literal = [operand for operand in operands if _is_text(operand)]
        return bool(literal or any_receiver) and len(literal) < len(operands)
    return False


def _is_text(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(node, ast.JoinedStr)


def _added(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_added(node.left), *_added(node.right)]
    return [node]


def _interpolated(node: ast.AST) -> list[ast.AST]:
    """What an interpolation site puts into the text: each expression other than a string literal."""
    if isinstance(node, ast.JoinedStr):
        return [value.value for value in node.values if isinstance(value, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return [operand for operand in (node.left, node.right) if not _is_text(operand)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        receiver = [] if _is_text(node.func.value) else [node.func.value]
        return [*receiver, *node.args, *(keyword.value for keyword in node.keywords)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [operand for operand in _added(node) if not _is_text(operand)]
    return []


class _Sites(ast.NodeVisitor):
    """Every interpolation site of a module, by the function (or module-level name) it is in."""

    def __init__(self) -> None:
        self.scope: list[str] = []
        self.found: dict[int, tuple[str, int]] = {}
        self.nodes: dict[int, ast.AST] = {}
        self.assigned: dict[tuple[str, str], list[ast.AST]] = {}

    def _name(self) -> str:
        return ".".join(self.scope) or "<module>"

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 - ast's name

    def _module_level(self, node: ast.Assign | ast.AnnAssign, targets: list[ast.expr]) -> None:
        names = [target.id for target in targets if isinstance(target, ast.Name)]
        if not self.scope and names:
            self.scope.append("/".join(names))
            self.generic_visit(node)
            self.scope.pop()
        else:
            for name in names:
                if node.value is not None:
                    self.assigned.setdefault((self._name(), name), []).append(node.value)
            self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self._module_level(node, node.targets)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._module_level(node, [node.target])

    def _add(self, node: ast.AST) -> None:
        self.found.setdefault(id(node), (self._name(), getattr(node, "lineno", 0)))
        self.nodes.setdefault(id(node), node)

    def expressions(self) -> dict[str, set[str]]:
        """By function: the source of each expression its sites put into SQL text."""
        found: dict[str, set[str]] = {}
        for key, (scope, _line) in self.found.items():
            found.setdefault(scope, set()).update(ast.unparse(e) for e in _interpolated(self.nodes[key]))
        return found

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        if _is_interpolation(node) and SQL_WORDS.search(_literal_text(node)):
            self._add(node)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if _is_interpolation(node) and SQL_WORDS.search(_literal_text(node)):
            self._add(node)
        # Only the outermost "+" of a chain is a site.
        for operand in _added(node) if isinstance(node.op, ast.Add) else [node.left, node.right]:
            self.visit(operand)

    def visit_Call(self, node: ast.Call) -> None:
        if _is_interpolation(node) and SQL_WORDS.search(_literal_text(node)):
            self._add(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS and node.args:
            self._statement(node.args[0])
        self.generic_visit(node)

    def _statement(self, node: ast.AST) -> None:
        """What reaches an SQL call: built in place, or in a variable assigned in the same function."""
        if _is_interpolation(node, any_receiver=True):
            self._add(node)
        elif isinstance(node, ast.Name):
            for value in self.assigned.get((self._name(), node.id), []):
                if _is_interpolation(value, any_receiver=True):
                    self._add(value)
        elif isinstance(node, (ast.List, ast.Tuple)):
            for element in node.elts:
                self._statement(element.elts[0] if isinstance(element, ast.Tuple) and element.elts else element)


def sites() -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for path in sorted(PACKAGE.rglob("*.py")):
        visitor = _Sites()
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        for scope, _line in visitor.found.values():
            found[(path.relative_to(PACKAGE).as_posix(), scope)] += 1
    return found


# -- the tests -------------------------------------------------------------------------------------------------------
def test_every_interpolation_into_sql_is_reviewed() -> None:
    found = sites()
    listed = {site: review.count for site, review in REVIEWED.items()}
    unreviewed = {
        f"{file}: {scope} ({count})": count for (file, scope), count in found.items() if (file, scope) not in listed
    }
    assert not unreviewed, (
        "SQL text built from values: bind them as parameters, or (fixed names only) review the site and list it in "
        f"REVIEWED: {sorted(unreviewed)}"
    )
    changed = {
        f"{file}: {scope}": (found[(file, scope)], count)
        for (file, scope), count in listed.items()
        if found[(file, scope)] != count
    }
    assert not changed, f"sites whose number of interpolations changed (found, listed): review them again: {changed}"


def _expressions() -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(STRICT):
            visitor = _Sites()
            visitor.visit(ast.parse(path.read_text(), filename=str(path)))
            for scope, expressions in visitor.expressions().items():
                found[(relative, scope)] = expressions
    return found


def test_the_insights_put_no_value_into_sql() -> None:
    """In the insights, each expression put into SQL text is one reviewed by name: a fixed name checked by
    views._name, ? placeholders, or a fragment built of those. No int(), str(), repr() or format of a value."""
    found = _expressions()
    assert found, "the checker found no site in the insights"
    for site, expressions in found.items():
        review = REVIEWED.get(site)
        assert review is not None, f"{site}: not reviewed"
        assert review.expressions is not None, f"{site}: reviewed without its expressions"
        assert expressions == set(review.expressions), f"{site}: put into SQL {sorted(expressions)}"
        for expression in expressions:
            assert not re.search(r"\b(?:int|str|repr|float|hex|format)\(|%|!r|:d", expression), (site, expression)
    for file, scope in REVIEWED:
        if file.startswith(STRICT):
            assert (file, scope) in found, f"{file}: {scope} is listed but has no site any more"


def test_the_insights_names_are_a_closed_set() -> None:
    """views._name lets only the names of views._NAMES through; views._in writes only ? placeholders."""
    from custom_components.spinstack.insights import views  # noqa: PLC0415 - the module under review

    for name in views._NAMES:
        assert views._name(name) == name
        assert not re.search(r"\d{3,}|'|;|--", name), name
    for bad in ("artists; DROP TABLE plays", "1 OR 1", "r_ctx_track2", "context_id IN (1)"):
        with pytest.raises(ValueError, match="not a known SQL name"):
            views._name(bad)
    sql, params = views._in("context_id", [3, 1, 2])
    assert (sql, params) == ("context_id IN (?,?,?)", [3, 1, 2])
    sql, params = views._in("context_id", list(range(views._MARKS_MAX + 1)))
    assert sql == "context_id IN (SELECT value FROM json_each(?))"
    assert json.loads(params[0]) == list(range(views._MARKS_MAX + 1))
    for select, column in views._NAME_QUERIES.values():
        assert column in views._NAMES
        assert "?" not in select, select
        assert not re.search(r"\d", select), select


def test_the_checker_sees_interpolation() -> None:
    """The checker itself: each way of putting a value into SQL is a site; bound parameters and literals are not."""
    code = """
def bad(conn, name, value):
    conn.execute(f"SELECT * FROM t WHERE name = '{name}'")
    conn.execute("SELECT * FROM t WHERE id = %d" % value)
    conn.execute("SELECT * FROM t WHERE id = {}".format(value))
    conn.execute("SELECT * FROM t WHERE name = '" + name + "'")
    sql = f"DELETE FROM {name}"
    conn.executemany(sql, [])
    store.execute_all([(f"UPDATE t SET a = {value}", ())])
    conn.execute(template.format(value))
    conn.execute(template % value)

def good(conn, name, value):
    conn.execute("SELECT * FROM t WHERE name = ? AND id = ?", (name, value))
    conn.execute("SELECT * FROM t " "WHERE id = :id", {"id": value})
    conn.execute(QUERIES[name], (value,))
    log(f"read {value} rows")
"""
    visitor = _Sites()
    visitor.visit(ast.parse(code))
    assert Counter(scope for scope, _ in visitor.found.values()) == {"bad": 8}
    # What each site puts into the text, as the insights' strict review compares it.
    assert visitor.expressions() == {"bad": {"name", "value", "template"}}


def test_ruff_keeps_s608_on() -> None:
    """ruff flags SQL built from strings (S608) everywhere in the integration but the file of stored statements,
    whose fragments are constants (each interpolation there is reviewed above)."""
    config = tomllib.loads((REPO / "ruff.toml").read_text())
    lint = config["lint"]
    assert "S" in lint["select"] or "S608" in lint["select"]
    assert not {"S", "S6", "S60", "S608"} & set(lint.get("ignore", []))
    exempt = {
        pattern
        for pattern, rules in lint.get("per-file-ignores", {}).items()
        if {"S", "S6", "S60", "S608"} & set(rules) and not pattern.startswith(("tests/", "bench/", "scripts/"))
    }
    assert exempt == {"custom_components/spinstack/store/queries.py"}


def _scope_of_line(tree: ast.Module, line: int) -> str:
    """The function (or module-level name) a line is in, named as the sites are."""

    def inside(node: ast.stmt) -> bool:
        return node.lineno <= line <= (node.end_lineno or node.lineno)

    names: list[str] = []
    body: list[ast.stmt] = tree.body
    while True:
        found = next(
            (n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and inside(n)),
            None,
        )
        if found is None:
            break
        names.append(found.name)
        body = found.body
    if names:
        return ".".join(names)
    statement = next((n for n in tree.body if inside(n)), None)
    targets = statement.targets if isinstance(statement, ast.Assign) else []
    if isinstance(statement, ast.AnnAssign):
        targets = [statement.target]
    return "/".join(t.id for t in targets if isinstance(t, ast.Name)) or "<module>"


def test_every_silenced_s608_is_a_reviewed_site() -> None:
    """A ``# noqa: S608`` silences ruff where it sees SQL built from strings: each must be in a reviewed function."""
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        text = path.read_text()
        tree = ast.parse(text)
        for number, line in enumerate(text.splitlines(), 1):
            if "noqa: S608" in line:
                scope = _scope_of_line(tree, number)
                assert (relative, scope) in REVIEWED, f"{relative}:{number} ({scope}) silences S608 unreviewed"
