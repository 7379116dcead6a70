-- 0003_trading: orders (+ events, audit trail), positions, portfolio snapshots, daily price bars,
-- the trading-engine's config, decisions and notifications.
-- Financial history (orders, positions, decisions) is ON DELETE RESTRICT towards companies:
-- a company with orders cannot be hard-deleted; deactivate it (companies.is_active = false).

CREATE TABLE orders (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id         uuid NOT NULL REFERENCES companies (id) ON DELETE RESTRICT,
    recommendation_id  uuid REFERENCES recommendations (id) ON DELETE SET NULL,
    side               text NOT NULL CHECK (side IN ('buy', 'sell')),
    quantity           numeric(18, 6) NOT NULL CHECK (quantity > 0),
    order_type         text NOT NULL CHECK (order_type IN ('market', 'limit', 'stop', 'stop_limit')),
    limit_price        numeric(14, 4) CHECK (limit_price IS NULL OR limit_price > 0),
    time_in_force      text NOT NULL DEFAULT 'day' CHECK (time_in_force IN ('day', 'gtc', 'ioc')),
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'partially_filled', 'filled', 'cancelled',
                                         'rejected')),
    filled_quantity    numeric(18, 6) NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
    filled_avg_price   numeric(14, 4) CHECK (filled_avg_price IS NULL OR filled_avg_price > 0),
    mode               text NOT NULL DEFAULT 'paper' CHECK (mode IN ('paper', 'live')),
    broker_order_id    text UNIQUE,
    submitted_at       timestamptz NOT NULL DEFAULT now(),
    filled_at          timestamptz,
    cancelled_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT order_limit_price_required
        CHECK (order_type NOT IN ('limit', 'stop_limit') OR limit_price IS NOT NULL),
    CONSTRAINT order_fill_within_quantity CHECK (filled_quantity <= quantity)
);
CREATE INDEX orders_company_created_idx ON orders (company_id, created_at DESC);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_created_idx ON orders (created_at DESC);

CREATE TABLE order_events (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    event_type   text NOT NULL
                 CHECK (event_type IN ('submitted', 'accepted', 'partial_fill', 'filled',
                                       'cancelled', 'rejected', 'replaced')),
    quantity     numeric(18, 6),
    price        numeric(14, 4),
    details      jsonb NOT NULL DEFAULT '{}'::jsonb,
    occurred_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, occurred_at);

-- Who changed what on an order (operator, risk-engine, trading-engine, broker).
CREATE TABLE order_audit_log (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    actor        text NOT NULL,
    action       text NOT NULL,
    from_status  text,
    to_status    text,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_audit_log_order_idx ON order_audit_log (order_id, created_at);

-- One open position per company; unrealized_pnl = (market_price - avg_cost) * quantity.
CREATE TABLE positions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id      uuid NOT NULL UNIQUE REFERENCES companies (id) ON DELETE RESTRICT,
    quantity        numeric(18, 6) NOT NULL,
    avg_cost        numeric(14, 4) NOT NULL CHECK (avg_cost >= 0),
    market_price    numeric(14, 4) NOT NULL CHECK (market_price >= 0),
    market_value    numeric(18, 4) NOT NULL,
    realized_pnl    numeric(18, 4) NOT NULL DEFAULT 0,
    unrealized_pnl  numeric(18, 4) NOT NULL DEFAULT 0,
    opened_at       timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE portfolio_snapshots (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    snapshot_at      timestamptz NOT NULL UNIQUE,
    total_value      numeric(18, 4) NOT NULL,
    cash             numeric(18, 4) NOT NULL,
    positions_value  numeric(18, 4) NOT NULL,
    realized_pnl     numeric(18, 4) NOT NULL DEFAULT 0,
    unrealized_pnl   numeric(18, 4) NOT NULL DEFAULT 0,
    daily_pnl        numeric(18, 4) NOT NULL DEFAULT 0,
    position_count   integer NOT NULL CHECK (position_count >= 0),
    mode             text NOT NULL DEFAULT 'paper' CHECK (mode IN ('paper', 'live')),
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- Daily OHLCV bars, read by the trading-engine backtest.
CREATE TABLE price_bars (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id  uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    bar_date    date NOT NULL,
    open        numeric(14, 4) NOT NULL CHECK (open > 0),
    high        numeric(14, 4) NOT NULL,
    low         numeric(14, 4) NOT NULL CHECK (low > 0),
    close       numeric(14, 4) NOT NULL CHECK (close > 0),
    volume      bigint NOT NULL CHECK (volume >= 0),
    UNIQUE (company_id, bar_date),
    CONSTRAINT price_bar_range CHECK (high >= greatest(open, close, low) AND low <= least(open, close))
);

-- The trading-engine's configuration: one row, name = 'default'.
CREATE TABLE trading_config (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                 text NOT NULL UNIQUE DEFAULT 'default',
    mode                 text NOT NULL DEFAULT 'paper' CHECK (mode IN ('paper', 'live')),
    enabled              boolean NOT NULL DEFAULT false,
    max_daily_orders     integer NOT NULL CHECK (max_daily_orders >= 0),
    max_position_value   numeric(18, 2) NOT NULL CHECK (max_position_value > 0),
    min_confidence       numeric(4, 3) NOT NULL CHECK (min_confidence BETWEEN 0 AND 1),
    strategies           jsonb NOT NULL DEFAULT '[]'::jsonb,
    updated_by           text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE trading_decisions (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id         uuid NOT NULL REFERENCES companies (id) ON DELETE RESTRICT,
    recommendation_id  uuid REFERENCES recommendations (id) ON DELETE SET NULL,
    order_id           uuid REFERENCES orders (id) ON DELETE SET NULL,
    action             text NOT NULL CHECK (action IN ('buy', 'sell', 'hold')),
    confidence         numeric(4, 3) NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    quantity           numeric(18, 6) CHECK (quantity IS NULL OR quantity > 0),
    status             text NOT NULL CHECK (status IN ('pending', 'executed', 'skipped', 'rejected')),
    reason             text,
    mode               text NOT NULL DEFAULT 'paper' CHECK (mode IN ('paper', 'live')),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trading_decisions_company_created_idx ON trading_decisions (company_id, created_at DESC);
CREATE INDEX trading_decisions_status_idx ON trading_decisions (status);
CREATE INDEX trading_decisions_created_idx ON trading_decisions (created_at DESC);

CREATE TABLE notifications (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel       text NOT NULL CHECK (channel IN ('email', 'slack', 'webhook', 'sms', 'log')),
    recipient     text,
    subject       text NOT NULL,
    body          text NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    -- What the notification is about, e.g. ('trading_decision', <id>); no FK on purpose.
    related_type  text,
    related_id    uuid,
    error         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz
);
CREATE INDEX notifications_status_idx ON notifications (status);
CREATE INDEX notifications_created_idx ON notifications (created_at DESC);
