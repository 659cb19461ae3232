"""Loading regions and answering scope questions (is this street inside that district?)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import sqlalchemy as sa

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.regions.models import DISTRICT, STREET, Region


class RegionImportError(DomainError):
    """The region file is malformed; nothing was imported."""


@dataclass
class ImportResult:
    """How many regions an import created and updated."""

    created: int
    updated: int


def import_regions(text: str) -> ImportResult:
    """Upsert regions from CSV text with columns code,name,parent_code,level (all or nothing)."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    _validate(rows)
    existing = {r.code: r for r in db.session.scalars(sa.select(Region))}
    created = updated = 0
    # Districts first, so a street's parent always exists when it is flushed.
    for row in sorted(rows, key=lambda r: r["level"] != DISTRICT):
        values = {
            "name": row["name"].strip(),
            "level": row["level"].strip(),
            "parent_code": (row.get("parent_code") or "").strip() or None,
        }
        region = existing.get(row["code"].strip())
        if region is None:
            db.session.add(Region(code=row["code"].strip(), **values))
            created += 1
        elif any(getattr(region, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(region, key, value)
            updated += 1
    db.session.flush()
    return ImportResult(created, updated)


def _validate(rows: list[dict[str, str]]) -> None:
    """Refuse the whole file on the first malformed line, naming it."""
    if not rows or not {"code", "name", "level"} <= set(rows[0]):
        raise RegionImportError("expected a header line: code,name,parent_code,level")
    codes = {(r.get("code") or "").strip() for r in rows}
    known = codes | set(db.session.scalars(sa.select(Region.code)))
    for line, row in enumerate(rows, start=2):
        code, level = (row.get("code") or "").strip(), (row.get("level") or "").strip()
        parent = (row.get("parent_code") or "").strip()
        if not code.isdigit() or len(code) not in (6, 9, 12):
            raise RegionImportError(f"line {line}: code must be 6, 9 or 12 digits")
        if not (row.get("name") or "").strip():
            raise RegionImportError(f"line {line}: name is empty")
        if level not in (DISTRICT, STREET):
            raise RegionImportError(f"line {line}: level must be 'district' or 'street'")
        if level == STREET and parent not in known:
            raise RegionImportError(f"line {line}: unknown parent_code {parent!r}")
        if level == STREET and not code.startswith(parent):
            # Official division codes nest; scope filters (audit, forms) rely on the prefix.
            raise RegionImportError(f"line {line}: a street's code begins with its district's code {parent!r}")


def districts() -> list[Region]:
    """All districts, by code."""
    return list(db.session.scalars(sa.select(Region).where(Region.level == DISTRICT).order_by(Region.code)))


def streets_within(scope_code: str | None) -> list[tuple[str, str]]:
    """(code, name) of the streets a scope covers: a district's streets, the street itself, or all
    streets for no scope (a city-wide account) — the choices of a list's street filter."""
    query = sa.select(Region.code, Region.name).where(Region.level == STREET).order_by(Region.code)
    if scope_code:
        query = query.where(sa.or_(Region.code == scope_code, Region.parent_code == scope_code))
    return [(code, name) for code, name in db.session.execute(query)]


def region_codes_within(code: str) -> list[str]:
    """The region itself and, for a district, all its streets."""
    return [code, *db.session.scalars(sa.select(Region.code).where(Region.parent_code == code))]


def is_within(region_code: str | None, scope_code: str | None) -> bool:
    """Whether a region lies inside a scope (the same region, or a street of the scope district)."""
    if region_code is None or scope_code is None:
        return False
    if region_code == scope_code:
        return True
    region = db.session.get(Region, region_code)
    return region is not None and region.parent_code == scope_code


def name_of(code: str | None) -> str:
    """A region's name by its code, "" for none.

    The session keeps each region it was asked for (its identity map alone holds objects weakly, so
    indexing many needs would read the same region again and again); a rename in the session shows.
    """
    if not code:
        return ""
    held = db.session.info.setdefault("regions_by_code", {})
    region = held.get(code)
    if region is None or region not in db.session:  # not asked yet, or expunged since
        region = held[code] = db.session.get(Region, code)
    return region.name if region is not None else ""
