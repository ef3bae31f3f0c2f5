"""Policy changes: triggers on the tables a policy decision reads (players, rg_exclusions,
rg_limits, rg_reality_check_settings, kyc_status) report the player whose rows changed, so
that every process's policy cache drops them. PostgreSQL notifies the ``croupier_policy``
channel; SQLite appends to the ``policy_changes`` log (the last 10,000 changes are kept).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-24 20:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_TABLES = {
    "players": "id",
    "rg_exclusions": "player_id",
    "rg_limits": "player_id",
    "rg_reality_check_settings": "player_id",
    "kyc_status": "player_id",
}


def upgrade() -> None:
    op.create_table(
        "policy_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_policy_changes")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION croupier_policy_changed() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ "
            "DECLARE rec jsonb; "
            "BEGIN "
            "IF TG_OP = 'DELETE' THEN rec := to_jsonb(OLD); ELSE rec := to_jsonb(NEW); END IF; "
            "PERFORM pg_notify('croupier_policy', rec ->> TG_ARGV[0]); "
            "RETURN NULL; "
            "END $$"
        )
        for table, column in _TABLES.items():
            op.execute(
                f"CREATE OR REPLACE TRIGGER {table}_policy_changed "
                f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION croupier_policy_changed('{column}')"
            )
        return
    for table, column in _TABLES.items():
        for change, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            op.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_policy_{change.lower()} "
                f"AFTER {change} ON {table} "
                f"BEGIN INSERT INTO policy_changes (player_id) VALUES ({row}.{column}); END"
            )
    op.execute(
        "CREATE TRIGGER IF NOT EXISTS policy_changes_prune AFTER INSERT ON policy_changes "
        "BEGIN DELETE FROM policy_changes WHERE seq <= NEW.seq - 10000; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_policy_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS croupier_policy_changed()")
    else:
        for table in _TABLES:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_policy_{change}")
        op.execute("DROP TRIGGER IF EXISTS policy_changes_prune")
    op.drop_table("policy_changes")
