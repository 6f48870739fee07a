"""Routes declared at import, built into FastAPI routes only when an app asks for them.

Building a FastAPI route is not free: it derives the parameter and response models
(several milliseconds each, at import, on a cold Lambda). A deployed function serves one
route, so each resource module declares its routes on a `RouteTable`, and `create_app`
builds only the ones it serves. The decorators take exactly `APIRouter`'s arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter


@dataclass(frozen=True)
class Declared:
    method: str
    path: str
    name: str
    endpoint: Callable[..., Any]
    options: dict[str, Any]


class RouteTable:
    def __init__(self, *, prefix: str, tags: list[str]) -> None:
        self.prefix = prefix
        self.tags = tags
        self.declared: list[Declared] = []

    def _declare(self, method: str, path: str, *, name: str, **options: Any):
        def record(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            self.declared.append(Declared(method, path, name, endpoint, options))
            return endpoint

        return record

    def get(self, path: str, *, name: str, **options: Any):
        return self._declare("GET", path, name=name, **options)

    def post(self, path: str, *, name: str, **options: Any):
        return self._declare("POST", path, name=name, **options)

    def put(self, path: str, *, name: str, **options: Any):
        return self._declare("PUT", path, name=name, **options)

    def delete(self, path: str, *, name: str, **options: Any):
        return self._declare("DELETE", path, name=name, **options)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.declared)

    def router(self, wanted: Collection[str] | None = None) -> APIRouter:
        """An APIRouter holding the declared routes (only `wanted` ones, if given), in
        declaration order."""
        router = APIRouter(prefix=self.prefix, tags=self.tags)
        for d in self.declared:
            if wanted is None or d.name in wanted:
                router.add_api_route(d.path, d.endpoint, methods=[d.method], name=d.name, **d.options)
        return router
