"""Dependencies shared by the routers: the server state and the API-key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from .errors import ApiError
from .state import ServerState


# Dependencies are coroutines on purpose: FastAPI runs plain functions in a thread pool,
# two thread hops per request for what is a dict lookup.
async def get_state(request: Request) -> ServerState:
    """The ServerState the lifespan put on the app."""
    state: ServerState = request.app.state.verigrade
    return state


StateDep = Annotated[ServerState, Depends(get_state)]


async def require_api_key(request: Request, state: StateDep) -> None:
    """401 unless the request carries ``Authorization: Bearer <key>`` (when a key is set)."""
    key = state.settings.api_key
    if key is None:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = key.get_secret_value().encode()
    # compare_digest takes as long for a near miss as for a wild guess.
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise ApiError(
            401,
            "missing or wrong API key: send 'Authorization: Bearer <key>'",
            {"WWW-Authenticate": "Bearer"},
        )


Authorized = Depends(require_api_key)
