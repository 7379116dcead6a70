-- 0002_intelligence: the query-api read model for documents, extraction, evidence, trends,
-- recommendations, macro (global) events, competitive signals and historical patterns.

CREATE TABLE documents (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- NULL for documents that are not about one company (most macro_event documents).
    company_id    uuid REFERENCES companies (id) ON DELETE CASCADE,
    doc_type      text NOT NULL CHECK (doc_type IN ('news', 'filing', 'macro_event')),
    title         text NOT NULL CHECK (length(title) > 0),
    source        text NOT NULL,
    url           text UNIQUE,
    published_at  timestamptz NOT NULL,
    ingested_at   timestamptz NOT NULL DEFAULT now(),
    -- Key of the normalized body in the stonks-normalized bucket (NULL = no stored body).
    s3_key        text UNIQUE,
    content_hash  text,
    word_count    integer CHECK (word_count IS NULL OR word_count >= 0)
);
CREATE INDEX documents_company_published_idx ON documents (company_id, published_at DESC);
CREATE INDEX documents_doc_type_published_idx ON documents (doc_type, published_at DESC);
CREATE INDEX documents_published_idx ON documents (published_at DESC);

-- Intelligence extraction records: what the (LLM) extractor produced for a document.
CREATE TABLE extraction_records (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    document_id      uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    company_id       uuid REFERENCES companies (id) ON DELETE CASCADE,
    sentiment        text NOT NULL CHECK (sentiment IN ('positive', 'negative', 'neutral', 'mixed')),
    sentiment_score  numeric(4, 3) NOT NULL CHECK (sentiment_score BETWEEN -1 AND 1),
    entities         jsonb NOT NULL DEFAULT '[]'::jsonb,
    summary          text NOT NULL,
    confidence       numeric(4, 3) NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    model            text NOT NULL,
    extracted_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_id, model)
);
CREATE INDEX extraction_records_company_idx ON extraction_records (company_id);

CREATE TABLE evidence (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    document_id    uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    extraction_id  uuid REFERENCES extraction_records (id) ON DELETE CASCADE,
    company_id     uuid REFERENCES companies (id) ON DELETE CASCADE,
    evidence_type  text NOT NULL CHECK (evidence_type IN ('quote', 'metric', 'event', 'guidance')),
    content        text NOT NULL,
    stance         text NOT NULL DEFAULT 'neutral'
                   CHECK (stance IN ('bullish', 'bearish', 'neutral')),
    relevance      numeric(4, 3) NOT NULL CHECK (relevance BETWEEN 0 AND 1),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evidence_document_idx ON evidence (document_id);
CREATE INDEX evidence_company_created_idx ON evidence (company_id, created_at DESC);

CREATE TABLE trend_windows (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id    uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    direction     text NOT NULL CHECK (direction IN ('up', 'down', 'flat')),
    strength      numeric(4, 3) NOT NULL CHECK (strength BETWEEN 0 AND 1),
    confidence    numeric(4, 3) NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    signal_count  integer NOT NULL DEFAULT 0 CHECK (signal_count >= 0),
    summary       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT trend_window_order CHECK (window_end > window_start)
);
CREATE INDEX trend_windows_company_end_idx ON trend_windows (company_id, window_end DESC);
CREATE INDEX trend_windows_direction_idx ON trend_windows (direction);

CREATE TABLE trend_projections (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    trend_id              uuid NOT NULL REFERENCES trend_windows (id) ON DELETE CASCADE,
    horizon_days          integer NOT NULL CHECK (horizon_days > 0),
    projected_direction   text NOT NULL CHECK (projected_direction IN ('up', 'down', 'flat')),
    projected_change_pct  numeric(7, 4) NOT NULL,
    confidence            numeric(4, 3) NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    created_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (trend_id, horizon_days)
);

-- Links a trend window to the documents (and optionally the evidence rows) behind it.
CREATE TABLE trend_evidence (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    trend_id     uuid NOT NULL REFERENCES trend_windows (id) ON DELETE CASCADE,
    document_id  uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    evidence_id  uuid REFERENCES evidence (id) ON DELETE CASCADE,
    weight       numeric(4, 3) NOT NULL DEFAULT 1 CHECK (weight BETWEEN 0 AND 1),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (trend_id, document_id)
);

CREATE TABLE recommendations (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id         uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    trend_id           uuid REFERENCES trend_windows (id) ON DELETE SET NULL,
    action             text NOT NULL CHECK (action IN ('buy', 'sell', 'hold')),
    confidence         numeric(4, 3) NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    thesis             text NOT NULL,
    target_price       numeric(14, 4) CHECK (target_price IS NULL OR target_price > 0),
    time_horizon_days  integer CHECK (time_horizon_days IS NULL OR time_horizon_days > 0),
    status             text NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'executed', 'expired', 'rejected', 'superseded')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recommendations_company_created_idx ON recommendations (company_id, created_at DESC);
CREATE INDEX recommendations_status_idx ON recommendations (status);
CREATE INDEX recommendations_created_idx ON recommendations (created_at DESC);

CREATE TABLE recommendation_citations (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    recommendation_id  uuid NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    document_id        uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    evidence_id        uuid REFERENCES evidence (id) ON DELETE CASCADE,
    excerpt            text,
    relevance          numeric(4, 3) NOT NULL CHECK (relevance BETWEEN 0 AND 1),
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (recommendation_id, document_id)
);

-- Global (macro) events and their per-company impact records.
CREATE TABLE global_events (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_type          text NOT NULL
                        CHECK (event_type IN ('monetary_policy', 'geopolitical', 'economic_data',
                                              'commodity', 'regulatory', 'natural_disaster', 'other')),
    title               text NOT NULL,
    description         text,
    region              text,
    severity            text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    occurred_at         timestamptz NOT NULL,
    source_document_id  uuid REFERENCES documents (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX global_events_occurred_idx ON global_events (occurred_at DESC);

CREATE TABLE macro_impacts (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id          uuid NOT NULL REFERENCES global_events (id) ON DELETE CASCADE,
    company_id        uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    impact_direction  text NOT NULL CHECK (impact_direction IN ('positive', 'negative', 'neutral')),
    impact_score      numeric(4, 3) NOT NULL CHECK (impact_score BETWEEN -1 AND 1),
    confidence        numeric(4, 3) NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    rationale         text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, company_id)
);
CREATE INDEX macro_impacts_company_idx ON macro_impacts (company_id);

-- A move by competitor_id that affects company_id.
CREATE TABLE competitive_signals (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id          uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    competitor_id       uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    relationship_id     uuid REFERENCES competitor_relationships (id) ON DELETE SET NULL,
    signal_type         text NOT NULL
                        CHECK (signal_type IN ('product_launch', 'pricing', 'market_share',
                                               'partnership', 'regulatory', 'talent', 'other')),
    description         text NOT NULL,
    impact_direction    text NOT NULL CHECK (impact_direction IN ('positive', 'negative', 'neutral')),
    strength            numeric(4, 3) NOT NULL CHECK (strength BETWEEN 0 AND 1),
    source_document_id  uuid REFERENCES documents (id) ON DELETE SET NULL,
    detected_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT competitive_signal_not_self CHECK (company_id <> competitor_id)
);
CREATE INDEX competitive_signals_company_detected_idx
    ON competitive_signals (company_id, detected_at DESC);

CREATE TABLE historical_patterns (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id        uuid REFERENCES companies (id) ON DELETE CASCADE,
    pattern_type      text NOT NULL
                      CHECK (pattern_type IN ('earnings_drift', 'seasonal', 'momentum',
                                              'mean_reversion', 'event_reaction')),
    description       text NOT NULL,
    occurrences       integer NOT NULL CHECK (occurrences >= 0),
    avg_return_pct    numeric(7, 4) NOT NULL,
    win_rate          numeric(4, 3) NOT NULL CHECK (win_rate BETWEEN 0 AND 1),
    lookback_days     integer NOT NULL CHECK (lookback_days > 0),
    confidence        numeric(4, 3) NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    last_observed_at  timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX historical_patterns_company_idx ON historical_patterns (company_id);
