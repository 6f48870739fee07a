"""FastAPI dependencies, as `Annotated` aliases the routes declare.

They are `async def` although none awaits: FastAPI runs a plain `def` dependency in the
thread pool, one hop per dependency per request, which cost more than the work itself.
None of them blocks: token verification is a few microseconds of CPU, from memory; only
a token that needs the JWKS fetched (an expired key set, an unknown key id) moves to a
worker thread, so the fetch never holds the event loop (shared/auth/jwks.py)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.auth.jwks import NeedsFetch
from shared.auth.principal import Principal
from shared.container import Container
from shared.errors import BadRequest, Unauthorized
from shared.observability.context import note_caller
from shared.secrets.service import SecretsService
from shared.store.models import RequestInfo, SecretMeta

_bearer = HTTPBearer(auto_error=False, description="A Supabase access token, runner token or service key.")


async def get_container(request: Request) -> Container:
    return request.app.state.container()


async def get_principal(
    container: Annotated[Container, Depends(get_container)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer access token is required")
    verifier = container.verifier
    try:
        principal = verifier.verify_cached(credentials.credentials)
    except NeedsFetch:
        principal = await run_in_threadpool(verifier.verify, credentials.credentials)
    note_caller(principal.kind)  # the request's log line says who called
    return principal


async def get_service(container: Annotated[Container, Depends(get_container)]) -> SecretsService:
    return container.service


async def get_request_info(request: Request) -> RequestInfo:
    ip = request.client.host if request.client else None
    try:
        ip = str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        ip = None  # e.g. "testclient": the audit column only takes real addresses
    agent = request.headers.get("user-agent")
    if agent:  # Postgres text cannot hold NUL, and an API Gateway event may carry one
        agent = agent.replace("\x00", "")[:512]
    return RequestInfo(ip_address=ip, user_agent=agent or None)


async def get_if_match(
    if_match: Annotated[str | None, Header(description="The version you expect to replace; 412 if it moved on.")] = None,
) -> int | None:
    """`If-Match: 3`, `"3"` or `W/"3"`: the version the client expects to replace."""
    if if_match is None:
        return None
    token = if_match.strip().removeprefix("W/").strip('"')
    # isdecimal() alone is not enough: "²" and "١" pass it (or isdigit()) but not int().
    if not (token.isascii() and token.isdecimal()) or len(token) > 9:
        raise BadRequest("If-Match must be a secret version number")
    return int(token)


def tag_version(response: Response, meta: SecretMeta) -> SecretMeta:
    """Sets the ETag `get_if_match` reads back: the version, quoted."""
    response.headers["ETag"] = f'"{meta.version}"'
    return meta


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
Service = Annotated[SecretsService, Depends(get_service)]
Requester = Annotated[RequestInfo, Depends(get_request_info)]
IfMatch = Annotated[int | None, Depends(get_if_match)]


@dataclass(frozen=True, slots=True)
class NewVersion:
    """What a route that writes a new version of one secret (update, rollback) is given:
    the caller, the service, the request's facts, the version it replaces (If-Match) and
    the response, for its ETag (tag_version)."""

    principal: Principal
    service: SecretsService
    request: RequestInfo
    if_match: int | None
    response: Response


async def get_new_version(
    principal: CurrentPrincipal, service: Service, request: Requester, if_match: IfMatch, response: Response,
) -> NewVersion:
    return NewVersion(principal, service, request, if_match, response)


VersionWrite = Annotated[NewVersion, Depends(get_new_version)]
