"""The profile API: profiles by any identifier, segments, personas and lead scoring.

Roles: ``viewer`` keys read segments and personas (aggregates and invented people);
profiles and lead scoring carry personal data and need ``analyst``.

``GET /v1/profiles/{type}:{value}`` is the hot path: it is an ``async`` handler doing two
SQLite primary-key reads from the serving store on the event loop (microseconds), which is
cheaper than a thread-pool hop. Everything else reads DuckDB in the thread pool.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from personae.personas.build import load_personas
from personae.personas.schema import Persona
from personae.web.auth import Principal
from personae.web.deps import require_api, server
from personae.web.errors import error_responses
from personae.web.server import ID_TYPES, Server

router = APIRouter(prefix="/v1", tags=["profiles"], responses=error_responses(401, 403))


class Identifier(BaseModel):
    type: str
    value: str


class ProfileSegment(BaseModel):
    segment: int
    name: str | None = None
    role: str | None = None
    probability: float | None = None
    outlier: bool | None = None


class PersonaRef(BaseModel):
    id: str
    title: str
    name: str


class IcpFit(BaseModel):
    fit_score: float
    fit_tier: str
    fit_reasons: str | None = None


class Event(BaseModel):
    type: str | None = None
    event: str | None = None
    name: str | None = None
    timestamp: str | None = None
    message_id: str | None = None
    properties: dict[str, Any] | None = None
    page_path: str | None = None


class Profile(BaseModel):
    """One unified customer profile, as of the last batch build plus live events."""

    profile_id: str
    identifiers: list[Identifier] = Field(default_factory=list)
    traits: dict[str, Any] = Field(default_factory=dict, description="Who the person is.")
    computed: dict[str, Any] = Field(
        default_factory=dict, description="Behaviour, value and voice attributes."
    )
    value: dict[str, Any] | None = Field(None, description="CLV, churn risk, RFM, upsell.")
    segment: ProfileSegment | None = None
    persona: PersonaRef | None = None
    icp: IcpFit | None = None
    recent_events: list[Event] = Field(default_factory=list)
    consent: dict[str, bool | None] | None = Field(
        None, description="The latest choice per purpose (None: never asked)."
    )


class SegmentSummary(BaseModel):
    """A segment; one of fewer than ``[governance] min_group_size`` people shows no figures."""

    segment: int
    name: str
    role: str
    size: int | None
    share: float | None
    revenue_share: float | None = None
    mean_value: float | None = None
    stability: float | None = None
    sentences: list[str] = Field(default_factory=list)
    persona_id: str | None = None


class PersonaSummary(BaseModel):
    id: str
    name: str
    title: str
    role: str
    segment: int
    size: int | None = None
    share: float | None = None
    version: int
    built_at: str | None = None


class Lead(BaseModel):
    """A lead's attributes, named like a lead CSV's columns (industry, employees, …)."""

    model_config = {"extra": "allow"}


class LeadScore(BaseModel):
    fit_score: float
    fit_tier: str
    fit_reasons: str
    attributes_used: list[str]


def _split(key: str) -> tuple[str, str]:
    id_type, sep, value = key.partition(":")
    if not sep or not value:
        raise HTTPException(
            400,
            f"{key!r} is not TYPE:VALUE. Fix: e.g. /v1/profiles/email:ann@example.com "
            f"(types: {', '.join(ID_TYPES)})",
        )
    if id_type not in ID_TYPES:
        raise HTTPException(
            400, f"unknown identifier type {id_type!r}. Fix: use one of {', '.join(ID_TYPES)}"
        )
    return id_type, value


@router.get(
    "/profiles/{key}",
    response_model=Profile,
    summary="A unified profile by any of its identifiers (TYPE:VALUE)",
    responses=error_responses(400, 404),
)
async def get_profile(
    key: str, request: Request, who: Principal = Depends(require_api("analyst"))
) -> Response:
    id_type, value = _split(key)
    srv = server(request)
    doc = srv.profile_document(id_type, value)
    if doc is None:
        raise HTTPException(404, f"no profile has the identifier {id_type}:{value}")
    gov = srv.workspace.config.governance
    purpose = gov.profile_api_purpose
    if purpose:
        choice = (doc.get("consent") or {}).get(purpose)
        if not (gov.consent_default if choice is None else choice):
            raise HTTPException(
                403,
                f"this person has not consented to {purpose}; the profile API serves only "
                f"profiles that allow it ([governance] profile_api_purpose)",
            )
    return Response(orjson.dumps(doc), media_type="application/json")


@router.get(
    "/segments",
    response_model=list[SegmentSummary],
    summary="Segments and their size",
    responses=error_responses(409),
)
def list_segments(
    request: Request, who: Principal = Depends(require_api("viewer"))
) -> list[SegmentSummary]:
    con = server(request).cursor()
    try:
        rows = con.execute("""
            SELECT d.segment, d.name, d.role, d.size, d.share, d.revenue_share, d.mean_value,
                   d.stability, d.sentences, p.id
            FROM segment_descriptions d
            LEFT JOIN personas p ON p.segment = d.segment AND p.current
            ORDER BY d.segment""").fetchall()
    except Exception as exc:
        raise HTTPException(409, "no segments yet. Fix: run `personae segment`.") from exc
    out = []
    k = server(request).workspace.config.governance.min_group_size
    for seg, name, role, size, share, rev, val, stab, sentences, pid in rows:
        if size is not None and size < k:
            note = f"Not shown: fewer than {k} customers (minimum group size)."
            out.append(
                SegmentSummary(
                    segment=seg,
                    name=f"Segment {seg}",
                    role="other",
                    size=None,
                    share=None,
                    sentences=[note],
                )
            )
            continue
        out.append(
            SegmentSummary(
                segment=seg,
                name=name,
                role=role,
                size=size,
                share=share,
                revenue_share=rev,
                mean_value=val,
                stability=stab,
                sentences=_as_list(sentences),
                persona_id=pid,
            )
        )
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            got = orjson.loads(value)
        except orjson.JSONDecodeError:
            return [value]
        return [str(x) for x in got] if isinstance(got, list) else [str(got)]
    return [str(x) for x in value]


@router.get(
    "/personas",
    response_model=list[PersonaSummary],
    summary="The current personas",
    responses=error_responses(409),
)
def list_personas(
    request: Request, who: Principal = Depends(require_api("viewer"))
) -> list[PersonaSummary]:
    con = server(request).cursor()
    try:
        rows = con.execute(
            "SELECT id, name, title, role, segment, version, built_at, document FROM personas "
            "WHERE current ORDER BY role = 'negative', segment"
        ).fetchall()
    except Exception as exc:
        raise HTTPException(409, "no personas yet. Fix: run `personae personas`.") from exc
    out = []
    for pid, name, title, role, seg, version, built, doc in rows:
        size = orjson.loads(doc).get("size") or {}
        out.append(
            PersonaSummary(
                id=pid,
                name=name,
                title=title,
                role=role,
                segment=seg,
                version=version,
                built_at=str(built) if built else None,
                size=size.get("customers"),
                share=size.get("share"),
            )
        )
    return out


@router.get(
    "/personas/{persona_id}",
    response_model=Persona,
    summary="One persona document (every claim with its evidence)",
    responses=error_responses(404),
)
def get_persona(
    persona_id: str, request: Request, who: Principal = Depends(require_api("viewer"))
) -> Response:
    con = server(request).cursor()
    row = con.execute(
        "SELECT document FROM personas WHERE id = ? AND current", [persona_id]
    ).fetchone()
    if row is None:
        known = [p.id for p in load_personas(con)]
        raise HTTPException(
            404, f"no persona {persona_id!r}. Known: {', '.join(known) or 'none yet'}"
        )
    return Response(row[0], media_type="application/json")


class _IcpCache:
    """The learned ICP and its reference frame, reloaded when a batch step has run."""

    def __init__(self) -> None:
        self.version: str | None = None
        self.value: tuple[Any, pd.DataFrame] | None = None
        self.lock = threading.Lock()


_ICP = _IcpCache()


@router.post(
    "/icp/score",
    response_model=LeadScore,
    summary="Score a lead against the ICP",
    responses=error_responses(400, 409),
)
def score_lead(
    lead: Lead, request: Request, who: Principal = Depends(require_api("analyst"))
) -> LeadScore:
    from personae.value.icp import (
        IcpError,
        IdealCustomerProfile,
        icp_frame,
        map_leads,
        score_mapped_leads,
    )

    srv = server(request)
    con = srv.cursor()
    version = srv.batch_version()
    with _ICP.lock:
        if _ICP.version != version or _ICP.value is None:
            try:
                doc = con.execute("SELECT document FROM icp").fetchone()[0]
            except Exception as exc:
                raise HTTPException(409, "no ICP yet. Fix: run `personae icp`.") from exc
            frame, _, _ = icp_frame(con)
            _ICP.value = (IdealCustomerProfile.from_json(doc), frame)
            _ICP.version = version
        icp, reference = _ICP.value
    fields = {k: (None if v is None else str(v)) for k, v in (lead.model_extra or {}).items()}
    if not fields:
        raise HTTPException(400, 'the lead has no attributes. Fix: post e.g. {"industry": …}')
    try:
        frame, attrs = map_leads(con, pd.DataFrame([fields], dtype="string"), "the posted lead")
        scored = score_mapped_leads(icp, reference, frame, attrs, "the posted lead")
    except IcpError as exc:
        raise HTTPException(400, str(exc)) from exc
    row = scored.iloc[0]
    return LeadScore(
        fit_score=float(row["fit_score"]),
        fit_tier=str(row["fit_tier"]),
        fit_reasons=str(row["fit_reasons"]),
        attributes_used=[a for a in attrs if a in icp.weights],
    )


def _audit(srv: Server, who: Principal, action: str, target: str, **details: Any) -> None:
    """One governance action in the audit log, made through the API by ``who``."""
    from personae.governance.audit import AuditLog

    AuditLog(srv.path).record(who.name, action, target, via="api", **details)


class VaultEntry(BaseModel):
    token: str
    value: str | None


@router.get(
    "/vault/{token}",
    response_model=VaultEntry,
    summary="The readable value of a pseudonym (admins only; audited)",
    tags=["governance"],
    responses=error_responses(404),
)
def read_vault(
    token: str, request: Request, who: Principal = Depends(require_api("admin"))
) -> VaultEntry:
    from personae.governance.pseudonyms import reveal

    srv = server(request)
    found = reveal(srv.cursor(), [token]).get(token)
    _audit(srv, who, "vault_read", token, found=found is not None)
    if found is None:
        raise HTTPException(404, f"no vault entry for {token!r}")
    return VaultEntry(token=token, value=found)


class Erasure(BaseModel):
    found: bool
    profiles: int
    records: int
    tombstones: int
    verified_clean: bool = Field(description="No table or file holds any of their data.")
    compacted: bool = Field(
        description="False: deleted bytes may remain in the database file's free blocks "
        "until `personae compact` runs with the server stopped."
    )
    summary: str


@router.delete(
    "/subjects/{key}",
    response_model=Erasure,
    summary="Erase a person everywhere (admins only; audited)",
    tags=["governance"],
    responses=error_responses(400),
)
def erase_subject_api(
    key: str, request: Request, who: Principal = Depends(require_api("admin"))
) -> Erasure:
    id_type, value = _split(key)
    srv = server(request)
    try:
        report = srv.erase(id_type, value)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    records = sum(report.records.values())
    _audit(srv, who, "erase", report.target, found=report.found, records=records)
    return Erasure(
        found=report.found,
        profiles=report.profiles,
        records=records,
        tombstones=report.tombstones,
        verified_clean=not report.findings,
        compacted=report.compacted,
        summary=report.summary(),
    )


@router.get(
    "/subjects/{key}",
    summary="Everything held on a person: the subject-access export (admins only; audited)",
    tags=["governance"],
    responses=error_responses(400, 404),
)
def export_subject_api(
    key: str, request: Request, who: Principal = Depends(require_api("admin"))
) -> Response:
    import tempfile
    from pathlib import Path

    from personae.governance.export import export_subject

    id_type, value = _split(key)
    srv = server(request)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            done = export_subject(
                srv.cursor(), srv.path, id_type, value, Path(tmp), settings=srv.workspace.config
            )
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        body = done.json_path.read_bytes()
    from personae.governance.keys import keyed_hash

    target = keyed_hash(srv.workspace.secret_key(), f"{id_type}:{value.strip().lower()}")
    _audit(srv, who, "export_subject", target, found=done.found)
    if not done.found:
        raise HTTPException(404, f"nobody is known by {id_type}:…")
    return Response(body, media_type="application/json")
