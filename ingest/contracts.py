"""The canonical record contracts every source lands in (ARCHITECTURE.md, "Record contracts").

Times must be timezone-aware (a naive time is refused: its zone would be a guess); the store
attributes them to days in Asia/Ho_Chi_Minh. `updated_at` is the version time a
source gives a record: a newer version replaces an older one, never the reverse.
"""
from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Literal
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

UNIT_CODE = r"^[0-9A-Z][0-9A-Z.\-]{1,31}$"


class RecordKind(str, Enum):
    dossier = "dossier"
    ticket = "ticket"
    document_count = "document_count"


class DossierStatus(str, Enum):
    received = "received"
    supplement_requested = "supplement_requested"
    completed = "completed"
    returned = "returned"
    withdrawn = "withdrawn"
    rejected = "rejected"


# A dossier "ends" at the first of: processed, result returned, stopped/rejected/withdrawn (KPIS.md §3).
ENDED_STATUSES = {DossierStatus.completed, DossierStatus.returned, DossierStatus.withdrawn, DossierStatus.rejected}


class TicketStatus(str, Enum):
    open = "open"
    in_progress = "in_progress"
    closed = "closed"


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class Dossier(_Record):
    """Hồ sơ thủ tục hành chính, modelled on the national portal's sync fields."""

    dossier_id: str = Field(min_length=1, max_length=64)
    unit_code: str = Field(pattern=UNIT_CODE)
    procedure_code: str = Field(min_length=1, max_length=64)
    procedure_name: str = Field(min_length=1, max_length=300)
    sector: str = Field(min_length=1, max_length=120)
    channel: Literal["direct", "online", "postal"]
    full_process_online: bool = False
    received_at: AwareDatetime
    due_at: AwareDatetime
    completed_at: AwareDatetime | None = None
    status: DossierStatus
    supplement_requests: int = Field(default=0, ge=0)
    fee_bearing: bool = False
    paid_online: bool = False
    e_result: bool = False
    digitised: bool = False
    data_reused: bool = False
    accepted_late: bool = False
    updated_at: AwareDatetime

    @model_validator(mode="after")
    def _consistent(self):
        if self.due_at < self.received_at:
            raise ValueError("due_at is before received_at")
        if self.status in ENDED_STATUSES and self.completed_at is None:
            raise ValueError(f"status {self.status.value} without completed_at")
        if self.completed_at is not None and self.completed_at < self.received_at:
            raise ValueError("completed_at is before received_at")
        if self.full_process_online and self.channel != "online":
            raise ValueError("full_process_online on a non-online channel")
        return self


class Ticket(_Record):
    """Phản ánh (hotline 1022), modelled on Open311 GeoReport v2. No caller data is ever stored."""

    ticket_id: str = Field(min_length=1, max_length=64)
    channel: Literal["phone", "app", "web", "zalo", "email"]
    category: str = Field(min_length=1, max_length=120)
    unit_code: str | None = Field(default=None, pattern=UNIT_CODE)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    handling_unit: str | None = Field(default=None, max_length=120)
    received_at: AwareDatetime
    due_at: AwareDatetime
    closed_at: AwareDatetime | None = None
    status: TicketStatus
    reopened: bool = False
    rating: int | None = Field(default=None, ge=1, le=5)
    updated_at: AwareDatetime

    @model_validator(mode="after")
    def _consistent(self):
        if self.unit_code is None and (self.lat is None or self.long is None):
            raise ValueError("neither unit_code nor lat/long")
        if (self.status == TicketStatus.closed) != (self.closed_at is not None):
            raise ValueError("closed_at must be set exactly when status is closed")
        return self


class DocumentCount(_Record):
    """Văn bản: counts per unit, day and direction."""

    unit_code: str = Field(pattern=UNIT_CODE)
    day: date
    direction: Literal["incoming", "outgoing"]
    total: int = Field(ge=0)
    electronic: int = Field(ge=0)
    digitally_signed: int = Field(ge=0)

    @model_validator(mode="after")
    def _consistent(self):
        if self.electronic > self.total or self.digitally_signed > self.electronic:
            raise ValueError("digitally_signed <= electronic <= total does not hold")
        return self


CONTRACTS: dict[RecordKind, type[_Record]] = {
    RecordKind.dossier: Dossier,
    RecordKind.ticket: Ticket,
    RecordKind.document_count: DocumentCount,
}
