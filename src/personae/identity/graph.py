"""Connected components and merge guards on the identity graph, as portable SQL steps.

Nodes are normalised identifiers (``_id_nodes``: node_id, id_type, priority, linking), edges
are pairs of nodes seen in one record or matched by the fuzzy step (``_id_edges``: a, b).
Components are found by min-label propagation with pointer jumping: every node starts with
its own id as label, takes the smallest label among its neighbours, then the label of its
label. Node ids are numbered in priority order, so a component's label is its
highest-priority identifier — the anchor its profile id is derived from. Star-shaped edges
(every identifier of a record linked to the record's anchor) keep the diameter small, so
few rounds are needed, and each round is one materialised table on either engine.
"""

from __future__ import annotations

from personae.engine import Engine

MAX_ROUNDS = 64


def connected_components(engine: Engine, nodes: str, edges: str, out: str) -> int:
    """Write ``out`` (node_id, label) for the linking nodes of ``nodes``; return the rounds."""
    engine.materialize(
        "_id_undirected",
        f"SELECT a, b FROM {edges} UNION SELECT b AS a, a AS b FROM {edges}",
    )
    engine.materialize(out, f"SELECT node_id, node_id AS label FROM {nodes} WHERE linking")
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):  # noqa: B007 - returned below
        engine.materialize(
            "_id_lbl_step",
            f"""
            SELECT l.node_id, least(l.label, coalesce(c.label, l.label)) AS label
            FROM {out} l
            LEFT JOIN (
                SELECT e.b AS node_id, min(n.label) AS label
                FROM _id_undirected e JOIN {out} n ON n.node_id = e.a
                GROUP BY e.b
            ) c ON c.node_id = l.node_id
            """,
        )
        # pointer jumping: a node's label's label is in the same component and no larger
        engine.materialize(
            "_id_lbl_next",
            """
            SELECT s.node_id, least(s.label, p.label) AS label
            FROM _id_lbl_step s JOIN _id_lbl_step p ON p.node_id = s.label
            """,
        )
        changed = engine.scalar(
            f"""
            SELECT count(*) FROM _id_lbl_next x JOIN {out} o ON o.node_id = x.node_id
            WHERE o.label <> x.label
            """
        )
        engine.materialize(out, "SELECT node_id, label FROM _id_lbl_next")
        if not changed:
            break
    for name in ("_id_undirected", "_id_lbl_step", "_id_lbl_next"):
        engine.drop(name)
    return rounds


def limit_violations(engine: Engine, nodes: str, labels: str, types: str, out: str) -> int:
    """Components holding more identifiers of a type than its limit; returns how many.

    ``out`` gets (label, id_type, priority, n, max_per_profile) for the highest-priority
    violated type of each violating component: that type decides how it is split.
    """
    engine.materialize(
        out,
        f"""
        SELECT label, id_type, priority, n, max_per_profile FROM (
            SELECT l.label, n.id_type, t.priority, count(*) AS n, t.max_per_profile,
                   row_number() OVER (PARTITION BY l.label ORDER BY t.priority) AS rank
            FROM {labels} l
            JOIN {nodes} n ON n.node_id = l.node_id
            JOIN {types} t ON t.id_type = n.id_type
            GROUP BY l.label, n.id_type, t.priority, t.max_per_profile
            HAVING count(*) > t.max_per_profile
        ) v WHERE rank = 1
        """,
    )
    return int(engine.scalar(f"SELECT count(*) FROM {out}") or 0)


def nearest_seed_split(
    engine: Engine, nodes: str, edges: str, labels: str, violations: str, out: str
) -> None:
    """Split violating components around their identifiers of the violated type.

    The identifiers of the violated type (say two user ids) become seeds; every other
    identifier of the component joins its nearest seed (breadth-first over the record
    links). An identifier equally near to two seeds cannot be attributed and stops linking.
    ``out`` gets (node_id, seed, tie): nodes not in ``out`` are outside violating components.
    """
    engine.materialize(
        "_id_seed_reach",
        f"""
        SELECT n.node_id, n.node_id AS seed, 0 AS dist
        FROM {nodes} n
        JOIN {labels} l ON l.node_id = n.node_id
        JOIN {violations} v ON v.label = l.label AND v.id_type = n.id_type
        """,
    )
    engine.materialize(
        "_id_split_nodes",
        f"""
        SELECT l.node_id FROM {labels} l JOIN {violations} v ON v.label = l.label
        """,
    )
    engine.materialize(
        "_id_split_edges",
        f"""
        SELECT e.a, e.b FROM {edges} e JOIN _id_split_nodes s ON s.node_id = e.a
        UNION SELECT e.b AS a, e.a AS b FROM {edges} e JOIN _id_split_nodes s ON s.node_id = e.a
        """,
    )
    for dist in range(1, MAX_ROUNDS + 1):
        # nodes reached for the first time at this distance, with every seed reaching them
        engine.materialize(
            "_id_seed_front",
            f"""
            SELECT DISTINCT e.b AS node_id, r.seed, {dist} AS dist
            FROM _id_seed_reach r
            JOIN _id_split_edges e ON e.a = r.node_id
            WHERE r.dist = {dist - 1}
              AND e.b NOT IN (SELECT node_id FROM _id_seed_reach)
            """,
        )
        if not engine.scalar("SELECT count(*) FROM _id_seed_front"):
            break
        # a node reached from two seeds at once is a tie: it is kept (so it is not reached
        # again) but does not carry either seed further
        engine.materialize(
            "_id_seed_reach",
            """
            SELECT node_id, seed, dist FROM _id_seed_reach
            UNION ALL
            SELECT f.node_id, f.seed, f.dist FROM _id_seed_front f
            JOIN (SELECT node_id FROM _id_seed_front GROUP BY node_id HAVING count(*) = 1) u
              ON u.node_id = f.node_id
            UNION ALL
            SELECT node_id, CAST(NULL AS BIGINT) AS seed, min(dist) AS dist
            FROM _id_seed_front GROUP BY node_id HAVING count(*) > 1
            """,
        )
    engine.materialize(
        out,
        """
        SELECT s.node_id, r.seed, r.node_id IS NOT NULL AND r.seed IS NULL AS tie
        FROM _id_split_nodes s LEFT JOIN _id_seed_reach r ON r.node_id = s.node_id
        """,
    )
    for name in ("_id_seed_reach", "_id_seed_front", "_id_split_nodes", "_id_split_edges"):
        engine.drop(name)
