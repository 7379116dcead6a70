import { cards, counts, fmt, get, link, page, section, table } from "/static/js/common.js";

page(async (content) => {
  const [summary, sentiment, agents] = await Promise.all([
    get("query-api", "/api/analytics/summary"),
    get("query-api", "/api/analytics/sentiment"),
    get("query-api", "/api/analytics/agents"),
  ]);
  content.append(
    section(
      "Summary",
      "summary",
      cards(summary, [
        { key: "extraction_count", label: "Extractions", format: fmt.int },
        { key: "avg_extraction_confidence", label: "Avg extraction confidence", format: fmt.ratio },
        { key: "avg_sentiment_score", label: "Avg sentiment", format: (v) => fmt.number(v) },
      ]),
      counts("Documents by type", "documents_by_type", summary.documents_by_type, "Type"),
      counts("Trends by direction", "trends_by_direction", summary.trends_by_direction, "Direction"),
      counts("Recommendations by action", "recommendations_by_action", summary.recommendations_by_action, "Action"),
      counts("Recommendations by status", "recommendations_by_status", summary.recommendations_by_status, "Status"),
      counts("Orders by status", "orders_by_status", summary.orders_by_status, "Status"),
    ),
    section(
      "Sentiment by company",
      "sentiment",
      table("Sentiment by company", [
        { key: "ticker", label: "Ticker", render: (row) => link(`/companies/${row.company_id}`, fmt.text(row.ticker)) },
        { key: "extraction_count", label: "Extractions", format: fmt.int, num: true },
        { key: "avg_sentiment_score", label: "Avg sentiment", format: (v) => fmt.number(v, 3), num: true },
      ], sentiment, { name: "sentiment" }),
    ),
    section(
      "Agents",
      "agents",
      table("Agent performance", [
        { key: "name", label: "Agent", render: (row) => link(`/agents/${row.agent_id}`, fmt.text(row.name)) },
        { key: "log_count", label: "Periods", format: fmt.int, num: true },
        { key: "task_count", label: "Tasks", format: fmt.int, num: true },
        { key: "success_count", label: "Successes", format: fmt.int, num: true },
        { key: "success_rate", label: "Success rate", format: fmt.ratio, num: true },
        { key: "avg_accuracy", label: "Avg accuracy", format: fmt.ratio, num: true },
        { key: "total_cost_usd", label: "Cost", format: fmt.money, num: true },
      ], agents, { name: "agents" }),
    ),
  );
});
