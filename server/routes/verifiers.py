"""``GET /v1/verifiers``: what this server can grade with."""

from __future__ import annotations

from fastapi import APIRouter
from verigrade.verifiers import list_verifiers

from ..deps import Authorized
from ..schemas import VerifierInfo, VerifiersResponse

router = APIRouter(tags=["grading"], dependencies=[Authorized])


@router.get("/v1/verifiers", summary="Installed verifiers and their options")
def verifiers() -> VerifiersResponse:
    """Every installed verifier: name, description, options schema, default deadline."""
    return VerifiersResponse(
        verifiers=[
            VerifierInfo(
                name=name,
                description=cls.description,
                options=cls.options_schema(),
                timeout=cls.timeout,
            )
            for name, cls in list_verifiers().items()
        ]
    )
