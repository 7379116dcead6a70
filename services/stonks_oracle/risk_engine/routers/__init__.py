"""HTTP routes of risk-engine: one module per resource, each router listed in ROUTERS."""

from fastapi import APIRouter

from . import config

ROUTERS: list[APIRouter] = [config.router]
