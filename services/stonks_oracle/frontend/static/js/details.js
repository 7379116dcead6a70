// Detail renderers shared by a list page (its ?selected= item) and the item's own detail page.

import { fields, fmt, link, section, table } from "/static/js/common.js";

export const companyLink = (row) => (row.company_id ? `/companies/${row.company_id}` : null);

function tickerCell(row) {
  const href = companyLink(row);
  return href ? link(href, fmt.text(row.ticker)) : fmt.text(row.ticker);
}

export const TICKER = { key: "ticker", label: "Ticker", render: tickerCell };

export function documentDetail(doc, raw) {
  return [
    fields(doc, [
      { key: "title", label: "Title", href: () => `/documents/${doc.id}` },
      TICKER,
      { key: "doc_type", label: "Type" },
      { key: "source", label: "Source" },
      { key: "published_at", label: "Published", format: fmt.date },
      { key: "word_count", label: "Words", format: fmt.int },
      { key: "s3_key", label: "Object key" },
    ]),
    section(
      "Extraction records",
      "extraction_records",
      table("Extraction records", [
        { key: "sentiment", label: "Sentiment", badge: true },
        { key: "sentiment_score", label: "Score", format: (v) => fmt.number(v), num: true },
        { key: "confidence", label: "Confidence", format: fmt.ratio, num: true },
        { key: "model", label: "Model" },
        { key: "summary", label: "Summary" },
        { key: "extracted_at", label: "Extracted", format: fmt.date },
      ], doc.extraction_records || []),
    ),
    section(
      "Raw body",
      "raw",
      fields(raw, [
        { key: "bucket", label: "Bucket" },
        { key: "s3_key", label: "Object key" },
        { key: "content_hash", label: "Content hash" },
      ]),
      rawBody(raw.body),
    ),
  ];
}

function rawBody(body) {
  const pre = document.createElement("pre");
  pre.className = "raw";
  pre.dataset.field = "body";
  pre.textContent = body;
  return pre;
}

export const PROJECTION_COLUMNS = [
  { key: "horizon_days", label: "Horizon (days)", format: fmt.int, num: true },
  { key: "projected_direction", label: "Direction", badge: true },
  { key: "projected_change_pct", label: "Change", format: fmt.pct, num: true },
  { key: "confidence", label: "Confidence", format: fmt.ratio, num: true },
];

export const EVIDENCE_COLUMNS = [
  { key: "title", label: "Document", href: (row) => `/documents/${row.document_id}` },
  { key: "stance", label: "Stance", badge: true },
  { key: "weight", label: "Weight", format: (v) => fmt.number(v), num: true },
  { key: "relevance", label: "Relevance", format: fmt.ratio, num: true },
  { key: "content", label: "Excerpt" },
  { key: "published_at", label: "Published", format: fmt.date },
];

export function trendDetail(trend, projections, evidence) {
  return [
    trend
      ? fields(trend, [
          TICKER,
          { key: "direction", label: "Direction", badge: true },
          { key: "strength", label: "Strength", format: (v) => fmt.number(v) },
          { key: "confidence", label: "Confidence", format: fmt.ratio },
          { key: "signal_count", label: "Signals", format: fmt.int },
          { key: "window_start", label: "Window start", format: fmt.date },
          { key: "window_end", label: "Window end", format: fmt.date },
          { key: "summary", label: "Summary" },
        ])
      : null,
    section("Projections", "projections", table("Projections", PROJECTION_COLUMNS, projections)),
    section("Evidence", "evidence", table("Evidence", EVIDENCE_COLUMNS, evidence)),
  ];
}

export const CITATION_COLUMNS = [
  { key: "title", label: "Document", href: (row) => `/documents/${row.document_id}` },
  { key: "doc_type", label: "Type" },
  { key: "relevance", label: "Relevance", format: fmt.ratio, num: true },
  { key: "excerpt", label: "Excerpt" },
];

export function recommendationDetail(rec, citations) {
  return [
    rec
      ? fields(rec, [
          TICKER,
          { key: "action", label: "Action", badge: true },
          { key: "status", label: "Status", badge: true },
          { key: "confidence", label: "Confidence", format: fmt.ratio },
          { key: "target_price", label: "Target price", format: fmt.money },
          { key: "time_horizon_days", label: "Horizon (days)", format: fmt.int },
          { key: "thesis", label: "Thesis" },
          { key: "trend_id", label: "Trend", render: (r) => (r.trend_id ? link(`/trends/${r.trend_id}`, "Open the trend") : "—") },
        ])
      : null,
    section("Citations", "citations", table("Citations", CITATION_COLUMNS, citations)),
  ];
}

export const EVENT_COLUMNS = [
  { key: "event_type", label: "Event", badge: true },
  { key: "quantity", label: "Quantity", format: fmt.number, num: true },
  { key: "price", label: "Price", format: fmt.money, num: true },
  { key: "occurred_at", label: "Occurred", format: fmt.date },
  { key: "details", label: "Details", format: fmt.json },
];

export const AUDIT_COLUMNS = [
  { key: "actor", label: "Actor" },
  { key: "action", label: "Action" },
  { key: "from_status", label: "From" },
  { key: "to_status", label: "To" },
  { key: "created_at", label: "At", format: fmt.date },
  { key: "details", label: "Details", format: fmt.json },
];

export function orderDetail(order, events, audit) {
  return [
    order
      ? fields(order, [
          TICKER,
          { key: "side", label: "Side", badge: true },
          { key: "quantity", label: "Quantity", format: fmt.number },
          { key: "order_type", label: "Type" },
          { key: "limit_price", label: "Limit price", format: fmt.money },
          { key: "status", label: "Status", badge: true },
          { key: "filled_quantity", label: "Filled", format: fmt.number },
          { key: "broker_order_id", label: "Broker id" },
          { key: "submitted_at", label: "Submitted", format: fmt.date },
        ])
      : null,
    section("Events", "events", table("Order events", EVENT_COLUMNS, events, { name: "events" })),
    section("Audit trail", "audit", table("Audit trail", AUDIT_COLUMNS, audit, { name: "audit" })),
  ];
}

export const VARIANT_COLUMNS = [
  { key: "name", label: "Variant" },
  { key: "model", label: "Model" },
  { key: "prompt_version", label: "Prompt" },
  { key: "traffic_weight", label: "Traffic", format: fmt.ratio, num: true },
  { key: "is_active", label: "Active", format: fmt.bool },
  { key: "parameters", label: "Parameters", format: fmt.json },
];

export const PERFORMANCE_COLUMNS = [
  { key: "period_start", label: "Period start", format: fmt.date },
  { key: "period_end", label: "Period end", format: fmt.date },
  { key: "task_count", label: "Tasks", format: fmt.int, num: true },
  { key: "success_count", label: "Successes", format: fmt.int, num: true },
  { key: "accuracy", label: "Accuracy", format: fmt.ratio, num: true },
  { key: "avg_latency_ms", label: "Latency (ms)", format: (v) => fmt.number(v, 1), num: true },
  { key: "cost_usd", label: "Cost", format: fmt.money, num: true },
];

export function agentDetail(agent, variants, performance) {
  return [
    agent
      ? fields(agent, [
          { key: "name", label: "Name" },
          { key: "agent_type", label: "Type" },
          { key: "status", label: "Status", badge: true },
          { key: "default_model", label: "Default model" },
          { key: "description", label: "Description" },
        ])
      : null,
    section("Variants", "variants", table("Variants", VARIANT_COLUMNS, variants)),
    section("Performance", "performance", table("Performance", PERFORMANCE_COLUMNS, performance)),
  ];
}

export const IMPACT_COLUMNS = [
  TICKER,
  { key: "impact_direction", label: "Direction", badge: true },
  { key: "impact_score", label: "Score", format: (v) => fmt.number(v), num: true },
  { key: "confidence", label: "Confidence", format: fmt.ratio, num: true },
  { key: "rationale", label: "Rationale" },
];

export function macroDetail(event, impacts) {
  return [
    event
      ? fields(event, [
          { key: "title", label: "Title" },
          { key: "event_type", label: "Type" },
          { key: "severity", label: "Severity", badge: true },
          { key: "region", label: "Region" },
          { key: "occurred_at", label: "Occurred", format: fmt.date },
          { key: "description", label: "Description" },
        ])
      : null,
    section("Impacts", "impacts", table("Impacts", IMPACT_COLUMNS, impacts)),
  ];
}
