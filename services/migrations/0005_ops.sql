-- 0005_ops: operations and admin read models for query-api: pipeline health, ingestion runs,
-- coverage gaps, AI agents (+ variants, performance logs) and saved queries.

CREATE TABLE pipeline_health (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    stage            text NOT NULL UNIQUE
                     CHECK (stage IN ('ingestion', 'normalization', 'extraction', 'trend_detection',
                                      'recommendation', 'risk', 'trading')),
    status           text NOT NULL CHECK (status IN ('healthy', 'degraded', 'failing', 'unknown')),
    last_run_at      timestamptz,
    last_success_at  timestamptz,
    latency_ms       integer CHECK (latency_ms IS NULL OR latency_ms >= 0),
    error_count      integer NOT NULL DEFAULT 0 CHECK (error_count >= 0),
    message          text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ingestion_runs (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source             text NOT NULL,
    status             text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    started_at         timestamptz NOT NULL,
    finished_at        timestamptz,
    documents_fetched  integer NOT NULL DEFAULT 0 CHECK (documents_fetched >= 0),
    documents_stored   integer NOT NULL DEFAULT 0 CHECK (documents_stored >= 0),
    error_count        integer NOT NULL DEFAULT 0 CHECK (error_count >= 0),
    error_message      text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ingestion_run_finished CHECK (status = 'running' OR finished_at IS NOT NULL),
    CONSTRAINT ingestion_run_failed_has_error CHECK (status <> 'failed' OR error_message IS NOT NULL)
);
CREATE INDEX ingestion_runs_status_idx ON ingestion_runs (status);
CREATE INDEX ingestion_runs_started_idx ON ingestion_runs (started_at DESC);

-- Coverage gaps are recorded (not derived from now()), so that they are deterministic.
CREATE TABLE coverage_gaps (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id        uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    gap_type          text NOT NULL
                      CHECK (gap_type IN ('no_recent_documents', 'missing_filings', 'stale_trend',
                                          'no_sources')),
    description       text NOT NULL,
    last_document_at  timestamptz,
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    detected_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at       timestamptz,
    UNIQUE (company_id, gap_type, detected_at)
);
CREATE INDEX coverage_gaps_status_idx ON coverage_gaps (status);

CREATE TABLE ai_agents (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name           text NOT NULL UNIQUE,
    agent_type     text NOT NULL
                   CHECK (agent_type IN ('extractor', 'trend_analyst', 'recommender', 'risk_reviewer',
                                         'macro_analyst')),
    description    text,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'retired')),
    default_model  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_variants (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id        uuid NOT NULL REFERENCES ai_agents (id) ON DELETE CASCADE,
    name            text NOT NULL,
    model           text NOT NULL,
    prompt_version  text NOT NULL,
    parameters      jsonb NOT NULL DEFAULT '{}'::jsonb,
    traffic_weight  numeric(4, 3) NOT NULL DEFAULT 1 CHECK (traffic_weight BETWEEN 0 AND 1),
    is_active       boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agent_id, name)
);

CREATE TABLE agent_performance_logs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id        uuid NOT NULL REFERENCES ai_agents (id) ON DELETE CASCADE,
    variant_id      uuid REFERENCES agent_variants (id) ON DELETE CASCADE,
    period_start    timestamptz NOT NULL,
    period_end      timestamptz NOT NULL,
    task_count      integer NOT NULL CHECK (task_count >= 0),
    success_count   integer NOT NULL CHECK (success_count >= 0),
    accuracy        numeric(4, 3) CHECK (accuracy IS NULL OR accuracy BETWEEN 0 AND 1),
    avg_latency_ms  numeric(10, 2) CHECK (avg_latency_ms IS NULL OR avg_latency_ms >= 0),
    cost_usd        numeric(12, 6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    notes           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT perf_period_order CHECK (period_end > period_start),
    CONSTRAINT perf_success_le_tasks CHECK (success_count <= task_count)
);
CREATE INDEX agent_performance_logs_agent_idx ON agent_performance_logs (agent_id, period_start DESC);

-- A named, reusable query: the endpoint it targets and its filter parameters.
CREATE TABLE saved_queries (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL UNIQUE CHECK (length(name) > 0),
    description  text,
    target       text NOT NULL,
    parameters   jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by   text NOT NULL DEFAULT 'operator',
    last_run_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
