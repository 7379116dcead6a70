"""Seeding a running sandbox: migrations, CSV tables and bucket objects, re-runnable."""
