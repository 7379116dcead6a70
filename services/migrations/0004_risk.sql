-- 0004_risk: risk-engine configuration, operator approvals, symbol lockouts, daily snapshots.

-- One row, name = 'default'. Money limits are in USD.
CREATE TABLE risk_config (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                      text NOT NULL UNIQUE DEFAULT 'default',
    max_position_size         numeric(18, 6) NOT NULL CHECK (max_position_size > 0),  -- shares
    max_position_value        numeric(18, 2) NOT NULL CHECK (max_position_value > 0),
    max_order_value           numeric(18, 2) NOT NULL CHECK (max_order_value > 0),
    -- Orders whose value exceeds this need an operator approval.
    approval_threshold_value  numeric(18, 2) NOT NULL CHECK (approval_threshold_value > 0),
    max_daily_loss            numeric(18, 2) NOT NULL CHECK (max_daily_loss > 0),
    min_confidence            numeric(4, 3) NOT NULL CHECK (min_confidence BETWEEN 0 AND 1),
    approval_ttl_minutes      integer NOT NULL DEFAULT 60 CHECK (approval_ttl_minutes > 0),
    macro_enabled             boolean NOT NULL DEFAULT true,
    competitive_enabled       boolean NOT NULL DEFAULT true,
    updated_by                text,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operator_approvals (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id         uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    order_id           uuid REFERENCES orders (id) ON DELETE SET NULL,
    recommendation_id  uuid REFERENCES recommendations (id) ON DELETE SET NULL,
    side               text NOT NULL CHECK (side IN ('buy', 'sell')),
    quantity           numeric(18, 6) NOT NULL CHECK (quantity > 0),
    order_value        numeric(18, 2) NOT NULL CHECK (order_value >= 0),
    reason             text NOT NULL,
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    requested_at       timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    reviewed_at        timestamptz,
    reviewer           text,
    decision_note      text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT approval_expiry_after_request CHECK (expires_at > requested_at),
    CONSTRAINT approval_reviewed_when_decided
        CHECK (status NOT IN ('approved', 'rejected') OR (reviewed_at IS NOT NULL AND reviewer IS NOT NULL))
);
CREATE INDEX operator_approvals_status_idx ON operator_approvals (status, expires_at);
CREATE INDEX operator_approvals_created_idx ON operator_approvals (created_at DESC);

-- A lockout is active when starts_at <= now() AND (ends_at IS NULL OR ends_at > now())
-- AND lifted_at IS NULL; otherwise it is expired (or lifted). See view symbol_lockout_states.
CREATE TABLE symbol_lockouts (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id  uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    reason      text NOT NULL,
    starts_at   timestamptz NOT NULL DEFAULT now(),
    ends_at     timestamptz,
    lifted_at   timestamptz,
    created_by  text NOT NULL DEFAULT 'operator',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lockout_ends_after_start CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX symbol_lockouts_company_idx ON symbol_lockouts (company_id, ends_at);

CREATE VIEW symbol_lockout_states AS
SELECT l.*,
       c.ticker,
       CASE
           WHEN l.lifted_at IS NOT NULL THEN 'lifted'
           WHEN l.starts_at > now() THEN 'scheduled'
           WHEN l.ends_at IS NOT NULL AND l.ends_at <= now() THEN 'expired'
           ELSE 'active'
       END AS state
FROM symbol_lockouts AS l
JOIN companies AS c ON c.id = l.company_id;

CREATE TABLE daily_risk_snapshots (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    snapshot_date      date NOT NULL UNIQUE,
    gross_exposure     numeric(18, 2) NOT NULL,
    net_exposure       numeric(18, 2) NOT NULL,
    var_95             numeric(18, 2) NOT NULL,
    max_drawdown_pct   numeric(7, 4) NOT NULL,
    open_positions     integer NOT NULL CHECK (open_positions >= 0),
    pending_approvals  integer NOT NULL CHECK (pending_approvals >= 0),
    active_lockouts    integer NOT NULL CHECK (active_lockouts >= 0),
    breaches           jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at         timestamptz NOT NULL DEFAULT now()
);
