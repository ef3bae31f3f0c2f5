"""Sanctions screening: players' names against consolidated sanctions lists, fuzzily.

Lists load from the public files in their own formats: the UN Security Council consolidated
list (XML) and OFAC's SDN list (``sdn.csv``). Every name and alias becomes an entry,
transliterated to ASCII (anyascii: ``Сидоренко`` and ``Sidorenko`` meet), lower-cased,
stripped of punctuation. A player's legal name is compared with every entry by rapidfuzz's
token-sort ratio (word order ignored), so a one-letter typo still scores about 95 of 100
while an unrelated common name scores far below the threshold (90 by default).

A hit opens a ``sanctions`` case for staff and holds the account (status ``suspended``) until
someone clears it. Players are screened at registration, and all of them again whenever a
list is reloaded.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from xml.etree import ElementTree as ET

from anyascii import anyascii
from rapidfuzz import fuzz, process
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from croupier.core.players import PlayerStatus, PlayerView, change_status, get_player
from croupier.core.players.errors import InvalidStatusChange
from croupier.core.players.events import PlayerPersonalDataChanged, PlayerRegistered
from croupier.core.players.models import Player
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.events import DeliveredEvent, OutboxDispatcher
from croupier.policy.compliance import errors
from croupier.policy.compliance.cases import CaseKind, open_case, open_cases_of
from croupier.policy.compliance.models import SanctionsEntry, SanctionsList

DEFAULT_THRESHOLD = 90.0
ACTOR = "system:sanctions"


class ListPurpose(StrEnum):
    SANCTIONS = "sanctions"  # a hit opens a sanctions case and holds the account
    PEP = "pep"  # a hit opens a PEP case for enhanced due diligence; the account stays open


class ListFormat(StrEnum):
    UN_XML = "un-xml"
    OFAC_CSV = "ofac-csv"


@dataclass(frozen=True, slots=True)
class ListedName:
    reference: str
    name: str
    kind: str  # individual or entity


def normalize(name: str) -> str:
    """ASCII, lower case, letters and digits only, single spaces."""
    ascii_text = anyascii(name).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text).split())


# -- reading the public formats --------------------------------------------------------------


def _un_names(data: bytes) -> Iterator[ListedName]:
    try:
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise errors.InvalidSanctionsList(f"Not UN consolidated-list XML: {exc}.") from None
    if root.tag != "CONSOLIDATED_LIST":
        raise errors.InvalidSanctionsList("Not UN consolidated-list XML (no CONSOLIDATED_LIST).")
    for tag, kind in (("INDIVIDUAL", "individual"), ("ENTITY", "entity")):
        for item in root.iter(tag):
            reference = (item.findtext("REFERENCE_NUMBER") or item.findtext("DATAID") or "").strip()
            parts = [
                (item.findtext(f) or "").strip()
                for f in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
            ]
            primary = " ".join(p for p in parts if p)
            if primary:
                yield ListedName(reference, primary, kind)
            for alias in item.iter(f"{tag}_ALIAS"):
                alias_name = (alias.findtext("ALIAS_NAME") or "").strip()
                if alias_name:
                    yield ListedName(reference, alias_name, kind)


def _ofac_names(data: bytes) -> Iterator[ListedName]:
    # sdn.csv: ent_num, SDN_Name, SDN_Type, Program, Title, ... (no header row).
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or any(len(r) < 3 for r in rows if r):
        raise errors.InvalidSanctionsList("Not an OFAC SDN CSV: rows need ent_num, name, type.")
    for row in rows:
        if not row:
            continue
        reference, name, sdn_type = row[0].strip(), row[1].strip(), row[2].strip().lower()
        if not reference.isdigit():
            raise errors.InvalidSanctionsList(f"Not an OFAC SDN row: {row[:3]!r}.")
        # OFAC writes "LAST, First"; the comparison ignores word order.
        yield ListedName(
            reference,
            name.replace(",", " "),
            "individual" if sdn_type == "individual" else "entity",
        )


def read_list(data: bytes, source_format: ListFormat) -> list[ListedName]:
    names = list(_un_names(data) if source_format is ListFormat.UN_XML else _ofac_names(data))
    if not names:
        raise errors.InvalidSanctionsList("The file lists no names.")
    return names


# -- loading ---------------------------------------------------------------------------------


def load_list(
    session: Session,
    clock: Clock,
    name: str,
    data: bytes,
    source_format: ListFormat,
    *,
    actor: str,
    purpose: ListPurpose = ListPurpose.SANCTIONS,
) -> int:
    """Replace the list ``name`` with the file's names (all or nothing); returns the count."""
    names = read_list(data, source_format)
    digest = hashlib.sha256(data).hexdigest()
    session.execute(delete(SanctionsEntry).where(SanctionsEntry.list_name == name))
    row = session.get(SanctionsList, name)
    before = None if row is None else {"sha256": row.sha256, "entries": row.entries}
    if row is None:
        row = SanctionsList(name=name)
        session.add(row)
    row.purpose = purpose.value
    row.source_format = source_format.value
    row.sha256 = digest
    row.entries = len(names)
    row.loaded_at = clock.now()
    session.flush()
    session.execute(
        insert(SanctionsEntry),
        [
            {
                "list_name": name,
                "reference": n.reference[:60],
                "name": n.name[:300],
                "normalized": normalize(n.name)[:300],
                "kind": n.kind,
            }
            for n in names
        ],
    )
    record_event(
        session,
        clock,
        actor=actor,
        action="sanctions.list_loaded",
        subject_type="sanctions_list",
        subject_id=name,
        before=before,
        after={
            "sha256": digest,
            "entries": len(names),
            "format": source_format.value,
            "purpose": purpose.value,
        },
    )
    return len(names)


# -- screening -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    list_name: str
    reference: str
    listed_name: str
    score: float
    purpose: ListPurpose = ListPurpose.SANCTIONS


_cache_lock = threading.Lock()
_cache: dict[str, tuple[list[str], list[tuple[str, str, str, str]]]] = {}


def _index(session: Session) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    """The normalized names of every loaded list, cached per process until a list changes."""
    version = "|".join(
        f"{n}:{d}:{p}"
        for n, d, p in session.execute(
            select(SanctionsList.name, SanctionsList.sha256, SanctionsList.purpose).order_by(
                SanctionsList.name
            )
        )
    )
    with _cache_lock:
        if version not in _cache:
            rows = session.execute(
                select(
                    SanctionsEntry.normalized,
                    SanctionsEntry.list_name,
                    SanctionsEntry.reference,
                    SanctionsEntry.name,
                    SanctionsList.purpose,
                ).join(SanctionsList, SanctionsList.name == SanctionsEntry.list_name)
            ).all()
            _cache.clear()
            _cache[version] = ([r[0] for r in rows], [(r[1], r[2], r[3], r[4]) for r in rows])
        return _cache[version]


def screen_name(session: Session, name: str, threshold: float = DEFAULT_THRESHOLD) -> list[Hit]:
    """The listed names that ``name`` matches at ``threshold`` or above, best first."""
    choices, meta = _index(session)
    query = normalize(name)
    if not query or not choices:
        return []
    found = process.extract(
        query, choices, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, limit=10
    )
    return [
        Hit(
            list_name=meta[i][0],
            reference=meta[i][1],
            listed_name=meta[i][2],
            score=round(s, 1),
            purpose=ListPurpose(meta[i][3]),
        )
        for _match, s, i in found
    ]


def screen_player(
    session: Session,
    clock: Clock,
    player_id: str,
    *,
    trigger: str,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Hit]:
    """Screen a player's legal name; on a hit open a case (once) and hold the account."""
    player = get_player(session, player_id, brand_scope=None)
    hits = screen_name(session, player.legal_name, threshold)
    sanctioned = [h for h in hits if h.purpose is ListPurpose.SANCTIONS]
    exposed = [h for h in hits if h.purpose is ListPurpose.PEP]
    if exposed:
        _open_case_once(session, clock, player, CaseKind.PEP, exposed, trigger)
    opened = bool(sanctioned) and _open_case_once(
        session, clock, player, CaseKind.SANCTIONS, sanctioned, trigger
    )
    if opened and player.status in (PlayerStatus.PENDING_VERIFICATION, PlayerStatus.ACTIVE):
        # Already held or closed: the case is what matters.
        with contextlib.suppress(InvalidStatusChange):
            change_status(
                session,
                clock,
                player_id,
                PlayerStatus.SUSPENDED,
                reason="held: possible sanctions match, pending review",
                actor=ACTOR,
                brand_scope=None,
            )
    return hits


def _open_case_once(
    session: Session,
    clock: Clock,
    player: PlayerView,
    kind: CaseKind,
    hits: list[Hit],
    trigger: str,
) -> bool:
    """Open a case for these hits unless an open case already names every one of them."""
    known = {
        (h["list_name"], h["reference"])
        for case in open_cases_of(session, player.id, kind)
        for h in case.details.get("hits", [])
    }
    if {(h.list_name, h.reference) for h in hits} <= known:
        return False
    label = "Sanctions screening" if kind is CaseKind.SANCTIONS else "PEP screening"
    open_case(
        session,
        clock,
        player_id=player.id,
        kind=kind,
        title=f"{label}: {player.legal_name} ~ {hits[0].listed_name} ({hits[0].score})",
        details={
            "trigger": trigger,
            "screened_name": player.legal_name,
            "hits": [
                {
                    "list_name": h.list_name,
                    "reference": h.reference,
                    "listed_name": h.listed_name,
                    "score": h.score,
                }
                for h in hits
            ],
        },
        actor=ACTOR,
    )
    return True


def rescreen_all(session: Session, clock: Clock, *, threshold: float = DEFAULT_THRESHOLD) -> int:
    """Screen every player that is not closed again (after a list reload); returns hits."""
    ids = session.scalars(
        select(Player.id).where(Player.status != PlayerStatus.CLOSED.value).order_by(Player.id)
    ).all()
    return sum(
        1
        for player_id in ids
        if screen_player(session, clock, player_id, trigger="list_reload", threshold=threshold)
    )


def list_status(session: Session) -> list[tuple[str, str, int, str]]:
    rows = session.execute(
        select(
            SanctionsList.name,
            SanctionsList.source_format,
            SanctionsList.entries,
            SanctionsList.sha256,
        ).order_by(SanctionsList.name)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def subscribe_screening(dispatcher: OutboxDispatcher, clock: Clock) -> None:
    """Screen every newly registered player, after the registration commits, and a player
    again whenever their legal name changes."""

    def on_registered(session: Session, event: DeliveredEvent) -> None:
        screen_player(session, clock, event.payload["player_id"], trigger="registration")

    dispatcher.subscribe(PlayerRegistered.type, "compliance.sanctions_screening", on_registered)

    def on_changed(session: Session, event: DeliveredEvent) -> None:
        if "legal_name" in event.payload.get("fields", []):
            screen_player(session, clock, event.payload["player_id"], trigger="name_change")

    dispatcher.subscribe(
        PlayerPersonalDataChanged.type, "compliance.sanctions_rescreening", on_changed
    )
