"""Pure ASGI middleware shared by every service (see common/app.py for the order)."""
