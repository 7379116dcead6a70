-- 0001_registry: symbol-registry tables (companies and everything hanging off them).
-- Conventions for every migration in this directory:
--   * UUID primary keys (gen_random_uuid() is built into PostgreSQL 13+), timestamptz, NUMERIC for money;
--   * enumerations are TEXT + CHECK so that a bad value is a clear constraint error;
--   * a child row that means nothing without its parent is ON DELETE CASCADE;
--   * services set updated_at themselves (no triggers).

CREATE TABLE companies (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticker      text NOT NULL UNIQUE
                CHECK (ticker ~ '^[A-Z][A-Z0-9.\-]{0,9}$'),
    name        text NOT NULL CHECK (length(name) > 0),
    sector      text,
    industry    text,
    exchange    text,
    market_cap  numeric(20, 2) CHECK (market_cap IS NULL OR market_cap >= 0),
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX companies_sector_idx ON companies (sector);
CREATE INDEX companies_created_at_idx ON companies (created_at);

CREATE TABLE company_sources (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id   uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    source_type  text NOT NULL
                 CHECK (source_type IN ('news', 'filing', 'rss', 'press_release', 'social', 'api')),
    name         text NOT NULL,
    url          text,
    is_active    boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (company_id, source_type, name)
);
CREATE INDEX company_sources_company_idx ON company_sources (company_id);

CREATE TABLE company_aliases (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id  uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    alias       text NOT NULL CHECK (length(alias) > 0),
    alias_type  text NOT NULL DEFAULT 'name'
                CHECK (alias_type IN ('name', 'brand', 'former_name', 'abbreviation', 'ticker')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (company_id, alias)
);
CREATE INDEX company_aliases_alias_idx ON company_aliases (lower(alias));

CREATE TABLE competitor_relationships (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id         uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    competitor_id      uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    relationship_type  text NOT NULL DEFAULT 'direct'
                       CHECK (relationship_type IN ('direct', 'indirect', 'supplier', 'customer', 'partner')),
    strength           numeric(4, 3) NOT NULL DEFAULT 0.5 CHECK (strength BETWEEN 0 AND 1),
    notes              text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (company_id, competitor_id),
    CONSTRAINT competitor_not_self CHECK (company_id <> competitor_id)
);
CREATE INDEX competitor_relationships_competitor_idx ON competitor_relationships (competitor_id);

-- One row per (company, exposure_type, exposure_key): e.g. (AAPL, region, China, 0.19).
CREATE TABLE exposure_profiles (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id     uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    exposure_type  text NOT NULL
                   CHECK (exposure_type IN ('region', 'sector', 'commodity', 'currency', 'supplier',
                                            'customer', 'macro_factor')),
    exposure_key   text NOT NULL CHECK (length(exposure_key) > 0),
    weight         numeric(5, 4) NOT NULL CHECK (weight BETWEEN 0 AND 1),
    sensitivity    numeric(5, 4) CHECK (sensitivity IS NULL OR sensitivity BETWEEN -1 AND 1),
    notes          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (company_id, exposure_type, exposure_key)
);

CREATE TABLE watchlists (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL UNIQUE CHECK (length(name) > 0),
    description  text,
    owner        text NOT NULL DEFAULT 'operator',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE watchlist_members (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    watchlist_id  uuid NOT NULL REFERENCES watchlists (id) ON DELETE CASCADE,
    company_id    uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    notes         text,
    added_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (watchlist_id, company_id)
);
CREATE INDEX watchlist_members_company_idx ON watchlist_members (company_id);
