"""Tables of compliance: cases for staff, and the sanctions lists screened against."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime
from croupier.kernel.models import BigIntPK


class ComplianceCase(Base):
    """Something staff must look at: a sanctions hit, an AML alert, an RG marker."""

    __tablename__ = "compliance_cases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(24), index=True)
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)  # JSON
    assignee: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseNote(Base):
    __tablename__ = "compliance_case_notes"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("compliance_cases.id"), index=True)
    author: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SanctionsList(Base):
    """One loaded sanctions list: what was loaded, when, and its digest."""

    __tablename__ = "sanctions_lists"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    # "sanctions" (a hit holds the account) or "pep" (a hit calls for enhanced due diligence).
    purpose: Mapped[str] = mapped_column(String(12), server_default="sanctions")
    source_format: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SanctionsEntry(Base):
    """One name (a primary name or an alias) of a listed person or entity."""

    __tablename__ = "sanctions_entries"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    list_name: Mapped[str] = mapped_column(ForeignKey("sanctions_lists.name"))
    reference: Mapped[str] = mapped_column(String(60))  # the list's own id (UN ref, SDN ent_num)
    name: Mapped[str] = mapped_column(String(300))
    normalized: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(12))  # individual or entity

    __table_args__ = (Index("ix_sanctions_entries_list_name", "list_name"),)


class PaymentInstrument(Base):
    """A payment instrument (card, bank account, wallet) a player used, by its fingerprint:
    the same fingerprint on two players is an AML signal."""

    __tablename__ = "aml_payment_instruments"

    fingerprint: Mapped[str] = mapped_column(String(128), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KycStatus(Base):
    """A player's verification level, as the KYC vendor's results set it."""

    __tablename__ = "kyc_status"

    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when something calls for a new check (a CDD threshold, a change of personal data).
    reverification_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KycCheck(Base):
    """One verification asked of the vendor, and its result."""

    __tablename__ = "kyc_checks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    documents: Mapped[str] = mapped_column(Text)  # JSON list of document kinds
    status: Mapped[str] = mapped_column(String(12))  # pending, approved, rejected
    reason: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PolicyChange(Base):
    """SQLite's log of players whose policy rows changed, written by triggers (below) so that
    every process's ``PolicyCache`` sees a change made by any other. PostgreSQL's triggers
    notify the ``croupier_policy`` channel instead and leave this table empty."""

    __tablename__ = "policy_changes"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    player_id: Mapped[str] = mapped_column(String(40))


# The tables whose rows a policy decision reads, and the column naming their player.
POLICY_TABLES = {
    "players": "id",
    "rg_exclusions": "player_id",
    "rg_limits": "player_id",
    "rg_reality_check_settings": "player_id",
    "kyc_status": "player_id",
}
POLICY_CHANNEL = "croupier_policy"
# SQLite keeps this many changes; a cache further behind than that starts afresh.
POLICY_CHANGES_KEPT = 10_000


def policy_change_triggers(dialect: str) -> list[str]:
    """The DDL of the triggers that report a change to a player's policy rows."""
    statements: list[str] = []
    if dialect == "postgresql":
        statements.append(
            "CREATE OR REPLACE FUNCTION croupier_policy_changed() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ "
            "DECLARE rec jsonb; "
            "BEGIN "
            "IF TG_OP = 'DELETE' THEN rec := to_jsonb(OLD); ELSE rec := to_jsonb(NEW); END IF; "
            f"PERFORM pg_notify('{POLICY_CHANNEL}', rec ->> TG_ARGV[0]); "
            "RETURN NULL; "
            "END $$"
        )
        for table, column in POLICY_TABLES.items():
            statements.append(
                f"CREATE OR REPLACE TRIGGER {table}_policy_changed "
                f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION croupier_policy_changed('{column}')"
            )
        return statements
    for table, column in POLICY_TABLES.items():
        for change, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_policy_{change.lower()} "
                f"AFTER {change} ON {table} "
                f"BEGIN INSERT INTO policy_changes (player_id) VALUES ({row}.{column}); END"
            )
    statements.append(
        "CREATE TRIGGER IF NOT EXISTS policy_changes_prune AFTER INSERT ON policy_changes BEGIN "
        f"DELETE FROM policy_changes WHERE seq <= NEW.seq - {POLICY_CHANGES_KEPT}; END"
    )
    return statements


@event.listens_for(Base.metadata, "after_create")
def _create_policy_change_triggers(target: Any, connection: Connection, **_kw: Any) -> None:
    """``metadata.create_all`` (tests, benchmarks) gets the triggers the migration creates."""
    if "policy_changes" not in target.tables:
        return
    for statement in policy_change_triggers(connection.dialect.name):
        connection.exec_driver_sql(statement)
