"""SQL shared by the trading-engine routes."""

DECISION_SELECT = """
SELECT d.id, d.company_id, c.ticker, d.recommendation_id, d.order_id, d.action, d.confidence,
       d.quantity, d.status, d.reason, d.mode, d.created_at
FROM trading_decisions AS d
JOIN companies AS c ON c.id = d.company_id
"""


def utc_date_between(column: str, start: str, end: str) -> str:
    """SQL condition: the UTC date of ``column`` lies in parameters ``start``..``end``.

    Both bounds are inclusive; a NULL bound is open.
    """
    day = f"({column} AT TIME ZONE 'UTC')::date"
    return (
        f"({start}::date IS NULL OR {day} >= {start}::date)"
        f" AND ({end}::date IS NULL OR {day} <= {end}::date)"
    )
