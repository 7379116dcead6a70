"""HTTP routes of query-api: one module per resource, each router listed in ROUTERS."""

from fastapi import APIRouter

from . import documents

ROUTERS: list[APIRouter] = [documents.router]
