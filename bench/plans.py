"""Query plans of the board's SQL, summarised: which index each scan uses, and any full scan.

PostgreSQL: EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON), so the figures are measured, not guessed.
SQLite: EXPLAIN QUERY PLAN, which names the index or says SCAN for a full table scan.
"""

import json
import re

from django.db import connection

TICKETS = "tickets_ticket"
_FROM_TICKETS = re.compile(r'FROM "?tickets_ticket"?[\s)]')
# SQLite names a table by its alias; in the board's SQL "U0" is the tickets table of the page's
# subquery. A SCAN without "USING … INDEX" reads the table in rowid order.
_SQLITE_FULL_SCAN = re.compile(rf"^SCAN (?:{TICKETS}|U0)$")


def touches_tickets(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT") and bool(_FROM_TICKETS.search(sql))


def explain(sql: str) -> dict:
    if connection.vendor == "postgresql":
        return _explain_postgres(sql)
    return _explain_sqlite(sql)


def _explain_postgres(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    document = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    nodes: list[dict] = []
    _walk(document["Plan"], nodes)
    scans, sorts = [], []
    full_scan = False
    for node in nodes:
        kind = node["Node Type"]
        relation = node.get("Relation Name")
        rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        if kind == "Bitmap Index Scan":
            # The bitmap's index feeds a Bitmap Heap Scan (listed with the table) above it.
            scans.append(f"{kind} using {node.get('Index Name')}: {rows:,} rows")
        elif relation:
            index = node.get("Index Name")
            how = f"{kind} using {index}" if index else kind
            removed = node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1)
            text = f"{how} on {relation}: {rows:,} rows"
            if removed:
                text += f" ({removed:,} filtered out)"
            scans.append(text)
            if relation == TICKETS and kind == "Seq Scan":
                full_scan = True
        elif kind in {"Sort", "Incremental Sort"}:
            keys = ", ".join(node.get("Sort Key", []))
            sorts.append(f"{kind} ({keys}): {rows:,} rows, {node.get('Sort Method', '')}")
    root = document["Plan"]
    return {
        "sql": _short(sql),
        "execution_ms": round(document.get("Execution Time", 0.0), 3),
        "planning_ms": round(document.get("Planning Time", 0.0), 3),
        "buffers_hit": root.get("Shared Hit Blocks", 0),
        "buffers_read": root.get("Shared Read Blocks", 0),
        "scans": scans,
        "sorts": sorts,
        "full_scan_on_tickets": full_scan,
    }


def _walk(node: dict, out: list[dict]) -> None:
    out.append(node)
    for child in node.get("Plans", []):
        _walk(child, out)


def _explain_sqlite(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        details = [row[3] for row in cursor.fetchall()]
    return {
        "sql": _short(sql),
        "scans": [d for d in details if d.startswith(("SCAN", "SEARCH"))],
        "sorts": [d for d in details if "TEMP B-TREE" in d],
        "full_scan_on_tickets": any(_SQLITE_FULL_SCAN.match(d) for d in details),
    }


def _short(sql: str, length: int = 400) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
