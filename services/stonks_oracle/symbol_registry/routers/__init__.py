"""HTTP routes of symbol-registry: one module per resource, each router listed in ROUTERS."""

from fastapi import APIRouter

from . import companies

ROUTERS: list[APIRouter] = [companies.router]
