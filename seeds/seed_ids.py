"""Deterministic ids and fixed values of the Stonks Oracle seed data.

Written together with the seed tables; tests/services/test_seed_files.py keeps the two in sync.
Every seeded row id is `00000000-0000-4000-XX00-0000000000NN`: XX is the table's block below,
NN the row number (decimal digits). Blocks stay in 8x-bx so that every id is a valid RFC 4122
version-4 UUID (pydantic's UUID4 accepts it). Tables, in load order (seeds/tables/NNN_<table>.csv):

    a1  001_companies
    a2  002_company_sources
    a3  003_company_aliases
    a4  004_competitor_relationships
    a5  005_exposure_profiles
    ac  006_watchlists
    95  007_watchlist_members
    a6  008_documents
    a7  009_extraction_records
    a8  010_evidence
    a9  011_trend_windows
    aa  012_trend_projections
    ab  013_trend_evidence
    b0  014_recommendations
    b1  015_recommendation_citations
    b2  016_orders
    b6  017_order_events
    b7  018_order_audit_log
    b8  019_positions
    b9  020_global_events
    ba  021_macro_impacts
    bb  022_competitive_signals
    bc  023_historical_patterns
    bd  024_portfolio_snapshots
    96  025_price_bars
    be  026_pipeline_health
    b3  027_ingestion_runs
    97  028_coverage_gaps
    bf  029_ai_agents
    90  030_agent_variants
    91  031_agent_performance_logs
    b4  032_saved_queries
    92  033_risk_config
    ad  034_operator_approvals
    ae  035_symbol_lockouts
    b5  036_daily_risk_snapshots
    93  037_trading_config
    94  038_trading_decisions
    af  039_notifications

Only str / int constants and dicts / tuples of them, all UPPER_CASE, stdlib only: the plugin
exposes them through the `seed_ids` fixture, and tests may `import seed_ids` directly.
"""

# --- companies -----------------------------------------------------------------------------------
COMPANY_AAPL = "00000000-0000-4000-a100-000000000001"
COMPANY_MSFT = "00000000-0000-4000-a100-000000000002"
COMPANY_NVDA = "00000000-0000-4000-a100-000000000003"
COMPANY_AMZN = "00000000-0000-4000-a100-000000000004"
COMPANY_TSLA = "00000000-0000-4000-a100-000000000005"

# --- company_sources -----------------------------------------------------------------------------
SOURCE_01 = "00000000-0000-4000-a200-000000000001"
SOURCE_02 = "00000000-0000-4000-a200-000000000002"
SOURCE_03 = "00000000-0000-4000-a200-000000000003"
SOURCE_04 = "00000000-0000-4000-a200-000000000004"
SOURCE_05 = "00000000-0000-4000-a200-000000000005"
SOURCE_06 = "00000000-0000-4000-a200-000000000006"
SOURCE_07 = "00000000-0000-4000-a200-000000000007"
SOURCE_08 = "00000000-0000-4000-a200-000000000008"
SOURCE_09 = "00000000-0000-4000-a200-000000000009"
SOURCE_10 = "00000000-0000-4000-a200-000000000010"

# --- company_aliases -----------------------------------------------------------------------------
ALIAS_01 = "00000000-0000-4000-a300-000000000001"
ALIAS_02 = "00000000-0000-4000-a300-000000000002"
ALIAS_03 = "00000000-0000-4000-a300-000000000003"
ALIAS_04 = "00000000-0000-4000-a300-000000000004"
ALIAS_05 = "00000000-0000-4000-a300-000000000005"
ALIAS_06 = "00000000-0000-4000-a300-000000000006"
ALIAS_07 = "00000000-0000-4000-a300-000000000007"
ALIAS_08 = "00000000-0000-4000-a300-000000000008"
ALIAS_09 = "00000000-0000-4000-a300-000000000009"
ALIAS_10 = "00000000-0000-4000-a300-000000000010"

# --- competitor_relationships --------------------------------------------------------------------
COMPETITOR_01 = "00000000-0000-4000-a400-000000000001"
COMPETITOR_02 = "00000000-0000-4000-a400-000000000002"
COMPETITOR_03 = "00000000-0000-4000-a400-000000000003"
COMPETITOR_04 = "00000000-0000-4000-a400-000000000004"
COMPETITOR_05 = "00000000-0000-4000-a400-000000000005"

# --- exposure_profiles ---------------------------------------------------------------------------
EXPOSURE_01 = "00000000-0000-4000-a500-000000000001"
EXPOSURE_02 = "00000000-0000-4000-a500-000000000002"
EXPOSURE_03 = "00000000-0000-4000-a500-000000000003"
EXPOSURE_04 = "00000000-0000-4000-a500-000000000004"
EXPOSURE_05 = "00000000-0000-4000-a500-000000000005"
EXPOSURE_06 = "00000000-0000-4000-a500-000000000006"
EXPOSURE_07 = "00000000-0000-4000-a500-000000000007"
EXPOSURE_08 = "00000000-0000-4000-a500-000000000008"
EXPOSURE_09 = "00000000-0000-4000-a500-000000000009"
EXPOSURE_10 = "00000000-0000-4000-a500-000000000010"

# --- watchlists ----------------------------------------------------------------------------------
WATCHLIST_01 = "00000000-0000-4000-ac00-000000000001"
WATCHLIST_02 = "00000000-0000-4000-ac00-000000000002"

# --- watchlist_members ---------------------------------------------------------------------------
WATCHLIST_MEMBER_01 = "00000000-0000-4000-9500-000000000001"
WATCHLIST_MEMBER_02 = "00000000-0000-4000-9500-000000000002"
WATCHLIST_MEMBER_03 = "00000000-0000-4000-9500-000000000003"

# --- documents -----------------------------------------------------------------------------------
DOCUMENT_01 = "00000000-0000-4000-a600-000000000001"

# --- extraction_records --------------------------------------------------------------------------
EXTRACTION_01 = "00000000-0000-4000-a700-000000000001"

# --- evidence ------------------------------------------------------------------------------------
EVIDENCE_01 = "00000000-0000-4000-a800-000000000001"

# --- documents -----------------------------------------------------------------------------------
DOCUMENT_02 = "00000000-0000-4000-a600-000000000002"

# --- extraction_records --------------------------------------------------------------------------
EXTRACTION_02 = "00000000-0000-4000-a700-000000000002"

# --- evidence ------------------------------------------------------------------------------------
EVIDENCE_02 = "00000000-0000-4000-a800-000000000002"

# --- documents -----------------------------------------------------------------------------------
DOCUMENT_03 = "00000000-0000-4000-a600-000000000003"

# --- extraction_records --------------------------------------------------------------------------
EXTRACTION_03 = "00000000-0000-4000-a700-000000000003"

# --- evidence ------------------------------------------------------------------------------------
EVIDENCE_03 = "00000000-0000-4000-a800-000000000003"

# --- documents -----------------------------------------------------------------------------------
DOCUMENT_04 = "00000000-0000-4000-a600-000000000004"

# --- extraction_records --------------------------------------------------------------------------
EXTRACTION_04 = "00000000-0000-4000-a700-000000000004"

# --- evidence ------------------------------------------------------------------------------------
EVIDENCE_04 = "00000000-0000-4000-a800-000000000004"

# --- documents -----------------------------------------------------------------------------------
DOCUMENT_05 = "00000000-0000-4000-a600-000000000005"

# --- extraction_records --------------------------------------------------------------------------
EXTRACTION_05 = "00000000-0000-4000-a700-000000000005"

# --- evidence ------------------------------------------------------------------------------------
EVIDENCE_05 = "00000000-0000-4000-a800-000000000005"

# --- documents -----------------------------------------------------------------------------------
DOCUMENT_06 = "00000000-0000-4000-a600-000000000006"

# --- extraction_records --------------------------------------------------------------------------
EXTRACTION_06 = "00000000-0000-4000-a700-000000000006"

# --- evidence ------------------------------------------------------------------------------------
EVIDENCE_06 = "00000000-0000-4000-a800-000000000006"

# --- documents -----------------------------------------------------------------------------------
DOCUMENT_07 = "00000000-0000-4000-a600-000000000007"

# --- extraction_records --------------------------------------------------------------------------
EXTRACTION_07 = "00000000-0000-4000-a700-000000000007"

# --- evidence ------------------------------------------------------------------------------------
EVIDENCE_07 = "00000000-0000-4000-a800-000000000007"

# --- documents -----------------------------------------------------------------------------------
DOCUMENT_08 = "00000000-0000-4000-a600-000000000008"

# --- extraction_records --------------------------------------------------------------------------
EXTRACTION_08 = "00000000-0000-4000-a700-000000000008"

# --- evidence ------------------------------------------------------------------------------------
EVIDENCE_08 = "00000000-0000-4000-a800-000000000008"

# --- documents -----------------------------------------------------------------------------------
DOCUMENT_09 = "00000000-0000-4000-a600-000000000009"

# --- extraction_records --------------------------------------------------------------------------
EXTRACTION_09 = "00000000-0000-4000-a700-000000000009"

# --- evidence ------------------------------------------------------------------------------------
EVIDENCE_09 = "00000000-0000-4000-a800-000000000009"

# --- documents -----------------------------------------------------------------------------------
DOCUMENT_10 = "00000000-0000-4000-a600-000000000010"

# --- extraction_records --------------------------------------------------------------------------
EXTRACTION_10 = "00000000-0000-4000-a700-000000000010"

# --- evidence ------------------------------------------------------------------------------------
EVIDENCE_10 = "00000000-0000-4000-a800-000000000010"

# --- trend_windows -------------------------------------------------------------------------------
TREND_AAPL = "00000000-0000-4000-a900-000000000001"
TREND_MSFT = "00000000-0000-4000-a900-000000000002"
TREND_NVDA = "00000000-0000-4000-a900-000000000003"
TREND_AMZN = "00000000-0000-4000-a900-000000000004"
TREND_TSLA = "00000000-0000-4000-a900-000000000005"

# --- trend_projections ---------------------------------------------------------------------------
PROJECTION_AAPL = "00000000-0000-4000-aa00-000000000001"
PROJECTION_MSFT = "00000000-0000-4000-aa00-000000000002"
PROJECTION_NVDA = "00000000-0000-4000-aa00-000000000003"
PROJECTION_AMZN = "00000000-0000-4000-aa00-000000000004"
PROJECTION_TSLA = "00000000-0000-4000-aa00-000000000005"

# --- trend_evidence ------------------------------------------------------------------------------
TREND_EVIDENCE_01 = "00000000-0000-4000-ab00-000000000001"
TREND_EVIDENCE_02 = "00000000-0000-4000-ab00-000000000002"
TREND_EVIDENCE_03 = "00000000-0000-4000-ab00-000000000003"
TREND_EVIDENCE_04 = "00000000-0000-4000-ab00-000000000004"
TREND_EVIDENCE_05 = "00000000-0000-4000-ab00-000000000005"
TREND_EVIDENCE_06 = "00000000-0000-4000-ab00-000000000006"
TREND_EVIDENCE_07 = "00000000-0000-4000-ab00-000000000007"
TREND_EVIDENCE_08 = "00000000-0000-4000-ab00-000000000008"

# --- recommendations -----------------------------------------------------------------------------
RECOMMENDATION_AAPL = "00000000-0000-4000-b000-000000000001"
RECOMMENDATION_MSFT = "00000000-0000-4000-b000-000000000002"
RECOMMENDATION_NVDA = "00000000-0000-4000-b000-000000000003"
RECOMMENDATION_AMZN = "00000000-0000-4000-b000-000000000004"
RECOMMENDATION_TSLA = "00000000-0000-4000-b000-000000000005"

# --- recommendation_citations --------------------------------------------------------------------
CITATION_01 = "00000000-0000-4000-b100-000000000001"
CITATION_02 = "00000000-0000-4000-b100-000000000002"
CITATION_03 = "00000000-0000-4000-b100-000000000003"
CITATION_04 = "00000000-0000-4000-b100-000000000004"
CITATION_05 = "00000000-0000-4000-b100-000000000005"
CITATION_06 = "00000000-0000-4000-b100-000000000006"
CITATION_07 = "00000000-0000-4000-b100-000000000007"
CITATION_08 = "00000000-0000-4000-b100-000000000008"

# --- orders --------------------------------------------------------------------------------------
ORDER_FILLED = "00000000-0000-4000-b200-000000000001"
ORDER_PENDING = "00000000-0000-4000-b200-000000000002"
ORDER_CANCELLED = "00000000-0000-4000-b200-000000000003"

# --- order_events --------------------------------------------------------------------------------
ORDER_EVENT_01 = "00000000-0000-4000-b600-000000000001"
ORDER_EVENT_02 = "00000000-0000-4000-b600-000000000002"
ORDER_EVENT_03 = "00000000-0000-4000-b600-000000000003"
ORDER_EVENT_04 = "00000000-0000-4000-b600-000000000004"
ORDER_EVENT_05 = "00000000-0000-4000-b600-000000000005"
ORDER_EVENT_06 = "00000000-0000-4000-b600-000000000006"
ORDER_EVENT_07 = "00000000-0000-4000-b600-000000000007"
ORDER_EVENT_08 = "00000000-0000-4000-b600-000000000008"

# --- operator_approvals --------------------------------------------------------------------------
APPROVAL_PENDING = "00000000-0000-4000-ad00-000000000001"
APPROVAL_APPROVED = "00000000-0000-4000-ad00-000000000002"

# --- trading_decisions ---------------------------------------------------------------------------
TRADING_DECISION_01 = "00000000-0000-4000-9400-000000000001"
TRADING_DECISION_02 = "00000000-0000-4000-9400-000000000002"
TRADING_DECISION_03 = "00000000-0000-4000-9400-000000000003"
TRADING_DECISION_04 = "00000000-0000-4000-9400-000000000004"

# --- order_audit_log -----------------------------------------------------------------------------
ORDER_AUDIT_01 = "00000000-0000-4000-b700-000000000001"
ORDER_AUDIT_02 = "00000000-0000-4000-b700-000000000002"
ORDER_AUDIT_03 = "00000000-0000-4000-b700-000000000003"
ORDER_AUDIT_04 = "00000000-0000-4000-b700-000000000004"
ORDER_AUDIT_05 = "00000000-0000-4000-b700-000000000005"
ORDER_AUDIT_06 = "00000000-0000-4000-b700-000000000006"

# --- positions -----------------------------------------------------------------------------------
POSITION_AAPL = "00000000-0000-4000-b800-000000000001"
POSITION_MSFT = "00000000-0000-4000-b800-000000000002"

# --- global_events -------------------------------------------------------------------------------
GLOBAL_EVENT_01 = "00000000-0000-4000-b900-000000000001"
GLOBAL_EVENT_02 = "00000000-0000-4000-b900-000000000002"

# --- macro_impacts -------------------------------------------------------------------------------
MACRO_IMPACT_01 = "00000000-0000-4000-ba00-000000000001"
MACRO_IMPACT_02 = "00000000-0000-4000-ba00-000000000002"
MACRO_IMPACT_03 = "00000000-0000-4000-ba00-000000000003"
MACRO_IMPACT_04 = "00000000-0000-4000-ba00-000000000004"
MACRO_IMPACT_05 = "00000000-0000-4000-ba00-000000000005"
MACRO_IMPACT_06 = "00000000-0000-4000-ba00-000000000006"
MACRO_IMPACT_07 = "00000000-0000-4000-ba00-000000000007"

# --- competitive_signals -------------------------------------------------------------------------
COMPETITIVE_SIGNAL_01 = "00000000-0000-4000-bb00-000000000001"
COMPETITIVE_SIGNAL_02 = "00000000-0000-4000-bb00-000000000002"

# --- historical_patterns -------------------------------------------------------------------------
HISTORICAL_PATTERN_01 = "00000000-0000-4000-bc00-000000000001"
HISTORICAL_PATTERN_02 = "00000000-0000-4000-bc00-000000000002"

# --- portfolio_snapshots -------------------------------------------------------------------------
PORTFOLIO_SNAPSHOT_01 = "00000000-0000-4000-bd00-000000000001"

# --- price_bars ----------------------------------------------------------------------------------
PRICE_BAR_01 = "00000000-0000-4000-9600-000000000001"
PRICE_BAR_02 = "00000000-0000-4000-9600-000000000002"
PRICE_BAR_03 = "00000000-0000-4000-9600-000000000003"
PRICE_BAR_04 = "00000000-0000-4000-9600-000000000004"
PRICE_BAR_05 = "00000000-0000-4000-9600-000000000005"
PRICE_BAR_06 = "00000000-0000-4000-9600-000000000006"
PRICE_BAR_07 = "00000000-0000-4000-9600-000000000007"
PRICE_BAR_08 = "00000000-0000-4000-9600-000000000008"
PRICE_BAR_09 = "00000000-0000-4000-9600-000000000009"
PRICE_BAR_10 = "00000000-0000-4000-9600-000000000010"
PRICE_BAR_11 = "00000000-0000-4000-9600-000000000011"
PRICE_BAR_12 = "00000000-0000-4000-9600-000000000012"
PRICE_BAR_13 = "00000000-0000-4000-9600-000000000013"
PRICE_BAR_14 = "00000000-0000-4000-9600-000000000014"
PRICE_BAR_15 = "00000000-0000-4000-9600-000000000015"
PRICE_BAR_16 = "00000000-0000-4000-9600-000000000016"
PRICE_BAR_17 = "00000000-0000-4000-9600-000000000017"
PRICE_BAR_18 = "00000000-0000-4000-9600-000000000018"
PRICE_BAR_19 = "00000000-0000-4000-9600-000000000019"
PRICE_BAR_20 = "00000000-0000-4000-9600-000000000020"
PRICE_BAR_21 = "00000000-0000-4000-9600-000000000021"
PRICE_BAR_22 = "00000000-0000-4000-9600-000000000022"
PRICE_BAR_23 = "00000000-0000-4000-9600-000000000023"
PRICE_BAR_24 = "00000000-0000-4000-9600-000000000024"
PRICE_BAR_25 = "00000000-0000-4000-9600-000000000025"

# --- pipeline_health -----------------------------------------------------------------------------
PIPELINE_HEALTH_INGESTION = "00000000-0000-4000-be00-000000000001"
PIPELINE_HEALTH_NORMALIZATION = "00000000-0000-4000-be00-000000000002"
PIPELINE_HEALTH_EXTRACTION = "00000000-0000-4000-be00-000000000003"
PIPELINE_HEALTH_TREND_DETECTION = "00000000-0000-4000-be00-000000000004"
PIPELINE_HEALTH_RECOMMENDATION = "00000000-0000-4000-be00-000000000005"

# --- ingestion_runs ------------------------------------------------------------------------------
INGESTION_RUN_01 = "00000000-0000-4000-b300-000000000001"
INGESTION_RUN_02 = "00000000-0000-4000-b300-000000000002"

# --- coverage_gaps -------------------------------------------------------------------------------
COVERAGE_GAP_01 = "00000000-0000-4000-9700-000000000001"
COVERAGE_GAP_02 = "00000000-0000-4000-9700-000000000002"

# --- ai_agents -----------------------------------------------------------------------------------
AGENT_01 = "00000000-0000-4000-bf00-000000000001"

# --- agent_variants ------------------------------------------------------------------------------
VARIANT_01 = "00000000-0000-4000-9000-000000000001"

# --- ai_agents -----------------------------------------------------------------------------------
AGENT_02 = "00000000-0000-4000-bf00-000000000002"

# --- agent_variants ------------------------------------------------------------------------------
VARIANT_02 = "00000000-0000-4000-9000-000000000002"

# --- ai_agents -----------------------------------------------------------------------------------
AGENT_03 = "00000000-0000-4000-bf00-000000000003"

# --- agent_variants ------------------------------------------------------------------------------
VARIANT_03 = "00000000-0000-4000-9000-000000000003"

# --- agent_performance_logs ----------------------------------------------------------------------
AGENT_PERF_LOG_01 = "00000000-0000-4000-9100-000000000001"
AGENT_PERF_LOG_02 = "00000000-0000-4000-9100-000000000002"
AGENT_PERF_LOG_03 = "00000000-0000-4000-9100-000000000003"
AGENT_PERF_LOG_04 = "00000000-0000-4000-9100-000000000004"
AGENT_PERF_LOG_05 = "00000000-0000-4000-9100-000000000005"
AGENT_PERF_LOG_06 = "00000000-0000-4000-9100-000000000006"

# --- saved_queries -------------------------------------------------------------------------------
SAVED_QUERY_01 = "00000000-0000-4000-b400-000000000001"

# --- risk_config ---------------------------------------------------------------------------------
RISK_CONFIG_01 = "00000000-0000-4000-9200-000000000001"

# --- symbol_lockouts -----------------------------------------------------------------------------
LOCKOUT_ACTIVE = "00000000-0000-4000-ae00-000000000001"
LOCKOUT_EXPIRED = "00000000-0000-4000-ae00-000000000002"

# --- daily_risk_snapshots ------------------------------------------------------------------------
RISK_SNAPSHOT_01 = "00000000-0000-4000-b500-000000000001"

# --- trading_config ------------------------------------------------------------------------------
TRADING_CONFIG_01 = "00000000-0000-4000-9300-000000000001"

# --- notifications -------------------------------------------------------------------------------
NOTIFICATION_01 = "00000000-0000-4000-af00-000000000001"

# --- grouping dictionaries -----------------------------------------------------------------------
SEED_TICKERS: tuple[str, ...] = ("AAPL", "MSFT", "NVDA", "AMZN", "TSLA")
SEED_COMPANY_IDS: dict[str, str] = {
    "AAPL": "00000000-0000-4000-a100-000000000001",  # COMPANY_AAPL
    "MSFT": "00000000-0000-4000-a100-000000000002",  # COMPANY_MSFT
    "NVDA": "00000000-0000-4000-a100-000000000003",  # COMPANY_NVDA
    "AMZN": "00000000-0000-4000-a100-000000000004",  # COMPANY_AMZN
    "TSLA": "00000000-0000-4000-a100-000000000005",  # COMPANY_TSLA
}
SEED_DOCUMENT_IDS: dict[str, str] = {
    "DOC_01": "00000000-0000-4000-a600-000000000001",  # DOCUMENT_01
    "DOC_02": "00000000-0000-4000-a600-000000000002",  # DOCUMENT_02
    "DOC_03": "00000000-0000-4000-a600-000000000003",  # DOCUMENT_03
    "DOC_04": "00000000-0000-4000-a600-000000000004",  # DOCUMENT_04
    "DOC_05": "00000000-0000-4000-a600-000000000005",  # DOCUMENT_05
    "DOC_06": "00000000-0000-4000-a600-000000000006",  # DOCUMENT_06
    "DOC_07": "00000000-0000-4000-a600-000000000007",  # DOCUMENT_07
    "DOC_08": "00000000-0000-4000-a600-000000000008",  # DOCUMENT_08
    "DOC_09": "00000000-0000-4000-a600-000000000009",  # DOCUMENT_09
    "DOC_10": "00000000-0000-4000-a600-000000000010",  # DOCUMENT_10
}
SEED_TREND_IDS: dict[str, str] = {
    "AAPL": "00000000-0000-4000-a900-000000000001",  # TREND_AAPL
    "MSFT": "00000000-0000-4000-a900-000000000002",  # TREND_MSFT
    "NVDA": "00000000-0000-4000-a900-000000000003",  # TREND_NVDA
    "AMZN": "00000000-0000-4000-a900-000000000004",  # TREND_AMZN
    "TSLA": "00000000-0000-4000-a900-000000000005",  # TREND_TSLA
}
SEED_RECOMMENDATION_IDS: dict[str, str] = {
    "AAPL": "00000000-0000-4000-b000-000000000001",  # RECOMMENDATION_AAPL
    "MSFT": "00000000-0000-4000-b000-000000000002",  # RECOMMENDATION_MSFT
    "NVDA": "00000000-0000-4000-b000-000000000003",  # RECOMMENDATION_NVDA
    "AMZN": "00000000-0000-4000-b000-000000000004",  # RECOMMENDATION_AMZN
    "TSLA": "00000000-0000-4000-b000-000000000005",  # RECOMMENDATION_TSLA
}
SEED_ORDER_IDS: dict[str, str] = {
    "FILLED": "00000000-0000-4000-b200-000000000001",  # ORDER_FILLED
    "PENDING": "00000000-0000-4000-b200-000000000002",  # ORDER_PENDING
    "CANCELLED": "00000000-0000-4000-b200-000000000003",  # ORDER_CANCELLED
}
SEED_POSITION_IDS: dict[str, str] = {
    "AAPL": "00000000-0000-4000-b800-000000000001",  # POSITION_AAPL
    "MSFT": "00000000-0000-4000-b800-000000000002",  # POSITION_MSFT
}
SEED_GLOBAL_EVENT_IDS: dict[str, str] = {
    "EVENT_01": "00000000-0000-4000-b900-000000000001",  # GLOBAL_EVENT_01
    "EVENT_02": "00000000-0000-4000-b900-000000000002",  # GLOBAL_EVENT_02
}
SEED_AGENT_IDS: dict[str, str] = {
    "AGENT_01": "00000000-0000-4000-bf00-000000000001",  # AGENT_01
    "AGENT_02": "00000000-0000-4000-bf00-000000000002",  # AGENT_02
    "AGENT_03": "00000000-0000-4000-bf00-000000000003",  # AGENT_03
}
SEED_VARIANT_IDS: dict[str, str] = {
    "AGENT_01": "00000000-0000-4000-9000-000000000001",  # VARIANT_01
    "AGENT_02": "00000000-0000-4000-9000-000000000002",  # VARIANT_02
    "AGENT_03": "00000000-0000-4000-9000-000000000003",  # VARIANT_03
}
SEED_TRADING_DECISION_IDS: dict[str, str] = {
    "EXECUTED": "00000000-0000-4000-9400-000000000001",  # TRADING_DECISION_01
    "SKIPPED": "00000000-0000-4000-9400-000000000002",  # TRADING_DECISION_02
    "REJECTED": "00000000-0000-4000-9400-000000000003",  # TRADING_DECISION_03
    "PENDING": "00000000-0000-4000-9400-000000000004",  # TRADING_DECISION_04
}
SEED_WATCHLIST_IDS: dict[str, str] = {
    "WL_01": "00000000-0000-4000-ac00-000000000001",  # WATCHLIST_01
    "WL_02": "00000000-0000-4000-ac00-000000000002",  # WATCHLIST_02
}
SEED_APPROVAL_IDS: dict[str, str] = {
    "PENDING": "00000000-0000-4000-ad00-000000000001",  # APPROVAL_PENDING
    "APPROVED": "00000000-0000-4000-ad00-000000000002",  # APPROVAL_APPROVED
}
SEED_LOCKOUT_IDS: dict[str, str] = {
    "ACTIVE": "00000000-0000-4000-ae00-000000000001",  # LOCKOUT_ACTIVE
    "EXPIRED": "00000000-0000-4000-ae00-000000000002",  # LOCKOUT_EXPIRED
}
SEED_NOTIFICATION_IDS: dict[str, str] = {
    "NOTIF_01": "00000000-0000-4000-af00-000000000001",  # NOTIFICATION_01
}
SEED_INGESTION_RUN_IDS: dict[str, str] = {
    "RUN_01": "00000000-0000-4000-b300-000000000001",  # INGESTION_RUN_01
    "RUN_02": "00000000-0000-4000-b300-000000000002",  # INGESTION_RUN_02
}
SEED_SAVED_QUERY_IDS: dict[str, str] = {
    "SQ_01": "00000000-0000-4000-b400-000000000001",  # SAVED_QUERY_01
}
SEED_RISK_SNAPSHOT_IDS: dict[str, str] = {
    "SNAP_01": "00000000-0000-4000-b500-000000000001",  # RISK_SNAPSHOT_01
}

# --- tables, blocks, row counts ------------------------------------------------------------------
# table -> the XX of its ids
SEED_UUID_BLOCKS: dict[str, str] = {
    "companies": "a1",
    "company_sources": "a2",
    "company_aliases": "a3",
    "competitor_relationships": "a4",
    "exposure_profiles": "a5",
    "watchlists": "ac",
    "watchlist_members": "95",
    "documents": "a6",
    "extraction_records": "a7",
    "evidence": "a8",
    "trend_windows": "a9",
    "trend_projections": "aa",
    "trend_evidence": "ab",
    "recommendations": "b0",
    "recommendation_citations": "b1",
    "orders": "b2",
    "order_events": "b6",
    "order_audit_log": "b7",
    "positions": "b8",
    "global_events": "b9",
    "macro_impacts": "ba",
    "competitive_signals": "bb",
    "historical_patterns": "bc",
    "portfolio_snapshots": "bd",
    "price_bars": "96",
    "pipeline_health": "be",
    "ingestion_runs": "b3",
    "coverage_gaps": "97",
    "ai_agents": "bf",
    "agent_variants": "90",
    "agent_performance_logs": "91",
    "saved_queries": "b4",
    "risk_config": "92",
    "operator_approvals": "ad",
    "symbol_lockouts": "ae",
    "daily_risk_snapshots": "b5",
    "trading_config": "93",
    "trading_decisions": "94",
    "notifications": "af",
}
SEED_TABLE_ORDER: tuple[str, ...] = (
    "companies",
    "company_sources",
    "company_aliases",
    "competitor_relationships",
    "exposure_profiles",
    "watchlists",
    "watchlist_members",
    "documents",
    "extraction_records",
    "evidence",
    "trend_windows",
    "trend_projections",
    "trend_evidence",
    "recommendations",
    "recommendation_citations",
    "orders",
    "order_events",
    "order_audit_log",
    "positions",
    "global_events",
    "macro_impacts",
    "competitive_signals",
    "historical_patterns",
    "portfolio_snapshots",
    "price_bars",
    "pipeline_health",
    "ingestion_runs",
    "coverage_gaps",
    "ai_agents",
    "agent_variants",
    "agent_performance_logs",
    "saved_queries",
    "risk_config",
    "operator_approvals",
    "symbol_lockouts",
    "daily_risk_snapshots",
    "trading_config",
    "trading_decisions",
    "notifications",
)
SEED_ROW_COUNTS: dict[str, int] = {
    "companies": 5,
    "company_sources": 10,
    "company_aliases": 10,
    "competitor_relationships": 5,
    "exposure_profiles": 10,
    "watchlists": 2,
    "watchlist_members": 3,
    "documents": 10,
    "extraction_records": 10,
    "evidence": 10,
    "trend_windows": 5,
    "trend_projections": 5,
    "trend_evidence": 8,
    "recommendations": 5,
    "recommendation_citations": 8,
    "orders": 3,
    "order_events": 8,
    "order_audit_log": 6,
    "positions": 2,
    "global_events": 2,
    "macro_impacts": 7,
    "competitive_signals": 2,
    "historical_patterns": 2,
    "portfolio_snapshots": 1,
    "price_bars": 25,
    "pipeline_health": 5,
    "ingestion_runs": 2,
    "coverage_gaps": 2,
    "ai_agents": 3,
    "agent_variants": 3,
    "agent_performance_logs": 6,
    "saved_queries": 1,
    "risk_config": 1,
    "operator_approvals": 2,
    "symbol_lockouts": 2,
    "daily_risk_snapshots": 1,
    "trading_config": 1,
    "trading_decisions": 4,
    "notifications": 1,
}

# --- fixed values tests assert with exact equality --------------------------------------------
# Timestamps are ISO 8601 UTC as written in the CSVs; PostgreSQL returns them as equal instants.
SEED_S3_BUCKET = "stonks-normalized"
SEED_WINDOW_START = "2026-01-05T00:00:00+00:00"
SEED_WINDOW_END = "2026-01-10T00:00:00+00:00"
SEED_COMPANY_CREATED_AT = "2026-01-05T08:00:00+00:00"
SEED_TREND_WINDOW_START = "2026-01-05T00:00:00+00:00"
SEED_TREND_WINDOW_END = "2026-01-08T00:00:00+00:00"
SEED_RECOMMENDATION_CREATED_AT = "2026-01-08T09:00:00+00:00"
SEED_PORTFOLIO_SNAPSHOT_AT = "2026-01-09T21:00:00+00:00"
SEED_RISK_SNAPSHOT_DATE = "2026-01-09"
SEED_FAR_FUTURE = "2099-12-31T23:59:59+00:00"
APPROVAL_PENDING_EXPIRES_AT = "2099-12-31T23:59:59+00:00"
APPROVAL_APPROVED_EXPIRES_AT = "2026-01-08T15:29:00+00:00"
LOCKOUT_ACTIVE_ENDS_AT = "2099-12-31T23:59:59+00:00"
LOCKOUT_EXPIRED_ENDS_AT = "2026-01-06T00:00:00+00:00"

SEED_COMPANY_NAMES: dict[str, str] = {
    "AAPL": "Apple Inc.",
    "MSFT": "Microsoft Corporation",
    "NVDA": "NVIDIA Corporation",
    "AMZN": "Amazon.com, Inc.",
    "TSLA": "Tesla, Inc.",
}
SEED_COMPANY_SECTORS: dict[str, str] = {
    "AAPL": "Technology",
    "MSFT": "Technology",
    "NVDA": "Technology",
    "AMZN": "Consumer Cyclical",
    "TSLA": "Consumer Cyclical",
}
# Documents: DOC_08 and DOC_09 are macro_event documents with company_id NULL.
SEED_DOCUMENT_TYPES: dict[str, str] = {
    "DOC_01": "news",
    "DOC_02": "news",
    "DOC_03": "news",
    "DOC_04": "news",
    "DOC_05": "news",
    "DOC_06": "filing",
    "DOC_07": "filing",
    "DOC_08": "macro_event",
    "DOC_09": "macro_event",
    "DOC_10": "news",
}
SEED_DOC_TYPE_COUNTS: dict[str, int] = {"news": 6, "filing": 2, "macro_event": 2}
SEED_DOCUMENTS_PER_TICKER: dict[str, int] = {"AAPL": 2, "MSFT": 2, "NVDA": 2, "AMZN": 1, "TSLA": 1}
# s3 key (in SEED_S3_BUCKET) of each document's normalized body, a JSON object with "body".
SEED_DOCUMENT_S3_KEYS: dict[str, str] = {
    "DOC_01": "news/AAPL/00000000-0000-4000-a600-000000000001.json",
    "DOC_02": "news/MSFT/00000000-0000-4000-a600-000000000002.json",
    "DOC_03": "news/NVDA/00000000-0000-4000-a600-000000000003.json",
    "DOC_04": "news/AMZN/00000000-0000-4000-a600-000000000004.json",
    "DOC_05": "news/TSLA/00000000-0000-4000-a600-000000000005.json",
    "DOC_06": "filing/AAPL/00000000-0000-4000-a600-000000000006.json",
    "DOC_07": "filing/NVDA/00000000-0000-4000-a600-000000000007.json",
    "DOC_08": "macro_event/GLOBAL/00000000-0000-4000-a600-000000000008.json",
    "DOC_09": "macro_event/GLOBAL/00000000-0000-4000-a600-000000000009.json",
    "DOC_10": "news/MSFT/00000000-0000-4000-a600-000000000010.json",
}
SEED_TREND_DIRECTIONS: dict[str, str] = {
    "AAPL": "up",
    "MSFT": "up",
    "NVDA": "up",
    "AMZN": "flat",
    "TSLA": "down",
}
SEED_RECOMMENDATION_ACTIONS: dict[str, str] = {
    "AAPL": "buy",
    "MSFT": "buy",
    "NVDA": "buy",
    "AMZN": "hold",
    "TSLA": "sell",
}
SEED_RECOMMENDATION_STATUSES: dict[str, str] = {
    "AAPL": "executed",
    "MSFT": "active",
    "NVDA": "active",
    "AMZN": "active",
    "TSLA": "active",
}
SEED_ORDER_STATUSES: dict[str, str] = {
    "FILLED": "filled",
    "PENDING": "pending",
    "CANCELLED": "cancelled",
}
SEED_ORDER_TICKERS: dict[str, str] = {"FILLED": "AAPL", "PENDING": "NVDA", "CANCELLED": "MSFT"}
SEED_ORDER_EVENT_COUNTS: dict[str, int] = {"FILLED": 3, "PENDING": 2, "CANCELLED": 3}
SEED_ORDER_AUDIT_COUNTS: dict[str, int] = {"FILLED": 2, "PENDING": 2, "CANCELLED": 2}
ORDER_FILLED_PRICE = "185.2000"
ORDER_FILLED_QUANTITY = "50.000000"
ORDER_PENDING_LIMIT_PRICE = "480.0000"
# Positions (NUMERIC as decimal strings; compare with decimal.Decimal).
# unrealized_pnl = (market_price - avg_cost) * quantity; market_value = market_price * quantity.
SEED_POSITION_QUANTITIES: dict[str, str] = {"AAPL": "50.000000", "MSFT": "20.000000"}
SEED_POSITION_AVG_COSTS: dict[str, str] = {"AAPL": "185.2000", "MSFT": "370.0000"}
SEED_POSITION_MARKET_PRICES: dict[str, str] = {"AAPL": "192.5000", "MSFT": "380.1000"}
SEED_POSITION_REALIZED_PNL: dict[str, str] = {"AAPL": "0.0000", "MSFT": "125.5000"}
SEED_POSITION_UNREALIZED_PNL: dict[str, str] = {"AAPL": "365.0000", "MSFT": "202.0000"}
SEED_PORTFOLIO_TOTAL_VALUE = "100000.0000"
SEED_PORTFOLIO_CASH = "82773.0000"
SEED_PORTFOLIO_POSITIONS_VALUE = "17227.0000"
# Macro impacts per global event (tickers), and competitive signal (company, competitor) pairs.
SEED_MACRO_IMPACT_TICKERS: dict[str, tuple[str, ...]] = {
    "EVENT_01": ("AAPL", "MSFT", "AMZN", "TSLA"),
    "EVENT_02": ("NVDA", "AAPL", "AMZN"),
}
SEED_COMPETITIVE_SIGNAL_PAIRS: dict[str, tuple[str, ...]] = {
    "SIGNAL_01": ("AMZN", "MSFT"),
    "SIGNAL_02": ("NVDA", "AMZN"),
}
# Symbol-registry relationships and membership.
SEED_COMPETITORS: dict[str, tuple[str, ...]] = {
    "AAPL": ("MSFT",),
    "MSFT": ("AMZN",),
    "NVDA": ("AMZN",),
    "AMZN": ("MSFT",),
    "TSLA": ("NVDA",),
}
SEED_ALIASES: dict[str, tuple[str, ...]] = {
    "AAPL": ("Apple", "Apple Computer"),
    "MSFT": ("Microsoft", "Azure"),
    "NVDA": ("Nvidia", "GeForce"),
    "AMZN": ("Amazon", "AWS"),
    "TSLA": ("Tesla", "Tesla Motors"),
}
SEED_WATCHLIST_NAMES: dict[str, str] = {"WL_01": "Mega-cap tech", "WL_02": "AI infrastructure"}
SEED_WATCHLIST_MEMBERS: dict[str, tuple[str, ...]] = {"WL_01": ("AAPL", "MSFT"), "WL_02": ("NVDA",)}
# Risk engine.
SEED_APPROVAL_STATUSES: dict[str, str] = {"PENDING": "pending", "APPROVED": "approved"}
SEED_APPROVAL_TICKERS: dict[str, str] = {"PENDING": "NVDA", "APPROVED": "AAPL"}
SEED_LOCKOUT_TICKERS: dict[str, str] = {"ACTIVE": "TSLA", "EXPIRED": "AMZN"}
RISK_MAX_ORDER_VALUE = "25000.00"
RISK_APPROVAL_THRESHOLD_VALUE = "9000.00"
RISK_MAX_POSITION_SIZE = "1000.000000"
# Trading engine.
TRADING_MODE = "paper"
TRADING_MAX_DAILY_ORDERS = 20
TRADING_MIN_CONFIDENCE = "0.650"
SEED_TRADING_STRATEGIES: tuple[str, ...] = ("trend_following", "macro_overlay")
SEED_TRADING_DECISION_STATUSES: dict[str, str] = {
    "EXECUTED": "executed",
    "SKIPPED": "skipped",
    "REJECTED": "rejected",
    "PENDING": "pending",
}
SEED_TRADING_DECISION_TICKERS: dict[str, str] = {
    "EXECUTED": "AAPL",
    "SKIPPED": "AMZN",
    "REJECTED": "TSLA",
    "PENDING": "NVDA",
}
NOTIFICATION_01_STATUS = "delivered"
NOTIFICATION_01_CHANNEL = "slack"
# Ops.
SEED_INGESTION_RUN_STATUSES: dict[str, str] = {"RUN_01": "completed", "RUN_02": "failed"}
SEED_PIPELINE_STAGES: tuple[str, ...] = (
    "ingestion",
    "normalization",
    "extraction",
    "trend_detection",
    "recommendation",
)
SEED_AGENT_NAMES: dict[str, str] = {
    "AGENT_01": "document-extractor",
    "AGENT_02": "trend-analyst",
    "AGENT_03": "recommendation-writer",
}
SAVED_QUERY_01_NAME = "Recent filings"
SEED_PRICE_BAR_DATES: tuple[str, ...] = (
    "2026-01-05",
    "2026-01-06",
    "2026-01-07",
    "2026-01-08",
    "2026-01-09",
)
SEED_LAST_CLOSES: dict[str, str] = {
    "AAPL": "192.5000",
    "MSFT": "380.1000",
    "NVDA": "474.6000",
    "AMZN": "202.8000",
    "TSLA": "229.8000",
}
