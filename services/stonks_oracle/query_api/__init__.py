"""The query-api service."""
