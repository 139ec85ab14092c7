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
from pathlib import Path
import re
import tomllib

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
    """A reviewed site: how many interpolations the function has, and what each puts into the SQL."""

    count: int
    puts: str


NAMES = "fixed table and column names, SQL fragments written in the code, ? placeholders"
PRAGMA = "an int (a constant or a loop counter, formatted :d) in a PRAGMA, which takes no bound parameters"
INTEGERS = "integers formatted with int() (ids read from the store, limits): values written into the text"
NOT_SQL = "not SQL"

# (file under custom_components/spinstack, function or module-level name): the review.
REVIEWED: dict[tuple[str, str], Reviewed] = {
    # -- fixed names and fragments only --------------------------------------------------------------------------
    ("insights/views.py", "Insights._scope"): Reviewed(2, f"{NAMES}: the column of each filter, one ? per value"),
    ("store/bulk.py", "_insert_plays_sql"): Reviewed(1, f"{NAMES}: a table name, one (?,?,?,?,?,?) per row"),
    ("store/bulk.py", "_CREATE_INCOMING"): Reviewed(2, f"{NAMES}: the temporary table's name"),
    ("store/bulk.py", "_INSERT_NEW_PLAYS"): Reviewed(1, f"{NAMES}: the column list, the temporary table's name"),
    ("store/bulk.py", "BulkWriter._insert_plays"): Reviewed(1, f"{NAMES}: the temporary table's name"),
    ("store/bulk.py", "BulkWriter._insert_names"): Reviewed(
        3, f"{NAMES}: the table and columns _store_names passes (literals), json_each positions (enumerate)"
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
    ("store/schema.py", "Rollup.upsert"): Reviewed(1, f"{NAMES}: a roll-up's table and key columns"),
    ("store/schema.py", "Rollup.sum_from"): Reviewed(1, f"{NAMES}: a roll-up's names; ROLLUP_SOURCE or a temp table"),
    ("store/schema.py", "_FOLD_SOURCE"): Reviewed(1, f"{NAMES}: ROLLUP_SOURCE"),
    ("store/store.py", "Store.plan"): Reviewed(1, "EXPLAIN QUERY PLAN put before the caller's statement"),
    ("store/store.py", "Store.explain"): Reviewed(1, "EXPLAIN QUERY PLAN put before a stored statement"),
    ("store/bulk.py", "BulkWriter.open"): Reviewed(1, f"{PRAGMA}: cache_size"),
    ("store/schema.py", "migrate"): Reviewed(1, f"{PRAGMA}: user_version"),
    # -- integers written into the text (safe: int() leaves only digits; still values, reported to be bound) -------
    ("insights/views.py", "_Scope.ctx"): Reviewed(1, f"{INTEGERS}: the filter's context ids"),
    ("insights/views.py", "_Scope.by_context"): Reviewed(1, f"{INTEGERS}: the filter's (or every) context ids"),
    ("insights/views.py", "Insights._days"): Reviewed(1, f"{INTEGERS}: _Scope.by_context"),
    ("insights/views.py", "Insights._long_sums"): Reviewed(2, f"{NAMES} (the key column); {INTEGERS}: _Scope.ctx"),
    ("insights/views.py", "Insights._sums"): Reviewed(
        8, f"{NAMES} (roll-up names, key expressions, joins); {INTEGERS}: LIMIT, _Scope.ctx"
    ),
    ("insights/views.py", "Insights._names"): Reviewed(1, f"{INTEGERS}: artist, track or album ids, by .format"),
    ("insights/views.py", "Insights._view_breakdown"): Reviewed(1, f"{INTEGERS}: _Scope.by_context"),
    ("insights/views.py", "Insights._view_discovery"): Reviewed(1, f"{INTEGERS}: _Scope.ctx"),
    ("insights/views.py", "Insights._all_time_discovery"): Reviewed(
        3, f"{NAMES} (a sub-select); {INTEGERS}: _Scope.ctx, NEW_ARTISTS_LIMIT"
    ),
    ("insights/views.py", "Insights._view_genres"): Reviewed(1, f"{INTEGERS}: artist ids, by .format"),
    ("insights/views.py", "Insights._view_on_this_day"): Reviewed(1, f"{INTEGERS}: _Scope.ctx"),
    ("insights/views.py", "Insights._view_comebacks"): Reviewed(1, f"{INTEGERS}: artist ids"),
    ("insights/views.py", "Insights.plays"): Reviewed(
        2, f"{NAMES} (the drill's clauses, ? each); {INTEGERS}: _Scope.ctx"
    ),
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


class _Sites(ast.NodeVisitor):
    """Every interpolation site of a module, by the function (or module-level name) it is in."""

    def __init__(self) -> None:
        self.scope: list[str] = []
        self.found: dict[int, tuple[str, int]] = {}
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
