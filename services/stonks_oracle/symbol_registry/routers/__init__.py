"""HTTP routes of symbol-registry: one module per resource, each router listed in ROUTERS."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
