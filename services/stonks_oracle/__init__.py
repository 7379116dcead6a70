"""Stonks Oracle reference services: query-api, symbol-registry, risk-engine, trading-engine."""
