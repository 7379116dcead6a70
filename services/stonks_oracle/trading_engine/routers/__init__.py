"""HTTP routes of trading-engine: one module per resource, each router listed in ROUTERS."""

from fastapi import APIRouter

from . import notifications

ROUTERS: list[APIRouter] = [notifications.router]
