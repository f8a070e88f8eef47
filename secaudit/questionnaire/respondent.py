"""Who answers a questionnaire: one service's owner, or the organisation for the city-wide controls."""

from __future__ import annotations

from dataclasses import dataclass

from secaudit.model import ORGANISATION_ID, Language, LocalizedText, Service

_CITY_WIDE = LocalizedText(ja="全庁共通（各サービスが継承）", en="Whole organisation (inherited by every service)")
_CISO = LocalizedText(ja="最高情報セキュリティ責任者（CISO）", en="Chief Information Security Officer (CISO)")


@dataclass(frozen=True)
class Respondent:
    """The party a workbook is addressed to, as its instructions sheet names it."""

    id: str
    """A service id, or ``ORGANISATION_ID`` for the organisation questionnaire."""
    name: LocalizedText
    department: LocalizedText
    owner: LocalizedText
    contact: str
    """The security officer to ask, ``name <email>`` (empty when none is known)."""

    @property
    def is_organisation(self) -> bool:
        """True for the organisation questionnaire (the city-wide controls)."""
        return self.id == ORGANISATION_ID

    def line(self, lang: Language) -> str:
        """The respondent as the instructions sheet's first line: ``name (id)``."""
        return f"{self.name.get(lang)} ({self.id})"


def service_respondent(service: Service) -> Respondent:
    """A service's owner answers its questionnaire."""
    owner = f"{service.owner.name} <{service.owner.email}>"
    return Respondent(
        id=service.id,
        name=service.name,
        department=LocalizedText(ja=service.department, en=service.department),
        owner=LocalizedText(ja=owner, en=owner),
        contact=f"{service.security_officer.name} <{service.security_officer.email}>",
    )


def organisation_respondent(organisation: LocalizedText) -> Respondent:
    """The organisation (``secaudit.yaml``'s ``organisation``) answers the city-wide controls once."""
    return Respondent(id=ORGANISATION_ID, name=organisation, department=_CITY_WIDE, owner=_CISO, contact="")
