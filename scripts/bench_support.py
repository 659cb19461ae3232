"""What the benchmark scripts share (run them from the project's root with the venv's Python)."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db


def settle() -> None:
    """Statistics fresh and, on PostgreSQL, dead row versions vacuumed away, as production maintenance
    keeps the tables: runs then start from equal tables, and autovacuum does not wake mid-phase."""
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
