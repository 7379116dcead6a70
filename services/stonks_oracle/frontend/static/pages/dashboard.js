import { cards, el, fmt, get, link, page, section, table } from "/static/js/common.js";
import { TICKER } from "/static/js/details.js";

page(async (content) => {
  const [portfolio, recommendations, ops, trading] = await Promise.all([
    get("query-api", "/api/portfolio"),
    get("query-api", "/api/recommendations", { status: "active" }),
    get("query-api", "/api/ops/dashboard"),
    get("trading-engine", "/api/trading/status"),
  ]);
  content.append(
    section(
      "Portfolio",
      "portfolio",
      cards(portfolio, [
        { key: "total_value", label: "Total value", format: fmt.money },
        { key: "cash", label: "Cash", format: fmt.money },
        { key: "positions_value", label: "Positions value", format: fmt.money },
        { key: "daily_pnl", label: "Daily P&L", format: fmt.money },
        { key: "unrealized_pnl", label: "Unrealized P&L", format: fmt.money },
        { key: "position_count", label: "Positions", format: fmt.int },
      ]),
      el("p", {}, `Snapshot of ${fmt.date(portfolio.snapshot_at)}. `, link("/portfolio", "Portfolio history")),
    ),
    section(
      "Active recommendations",
      "recommendations",
      table("Active recommendations", [
        TICKER,
        { key: "action", label: "Action", badge: true },
        { key: "confidence", label: "Confidence", format: fmt.ratio, num: true },
        { key: "target_price", label: "Target", format: fmt.money, num: true },
        { key: "thesis", label: "Thesis", href: (row) => `/recommendations/${row.id}` },
      ], recommendations, { name: "recommendations" }),
    ),
    section(
      "Operations",
      "operations",
      cards(
        {
          healthy: ops.pipeline.healthy ?? 0,
          degraded: ops.pipeline.degraded ?? 0,
          failed_runs: ops.ingestion.failed_runs,
          total_runs: ops.ingestion.total_runs,
          open_coverage_gaps: ops.open_coverage_gaps,
        },
        [
          { key: "healthy", label: "Healthy stages", format: fmt.int, href: () => "/pipeline-health" },
          { key: "degraded", label: "Degraded stages", format: fmt.int, href: () => "/pipeline-health" },
          { key: "total_runs", label: "Ingestion runs", format: fmt.int, href: () => "/ingestion" },
          { key: "failed_runs", label: "Failed runs", format: fmt.int, href: () => "/ingestion" },
          { key: "open_coverage_gaps", label: "Open coverage gaps", format: fmt.int, href: () => "/coverage" },
        ],
      ),
    ),
    section(
      "Trading engine",
      "trading",
      cards(trading, [
        { key: "mode", label: "Mode" },
        { key: "enabled", label: "Enabled", format: fmt.bool },
        { key: "halted", label: "Halted", format: fmt.bool },
        { key: "open_orders", label: "Open orders", format: fmt.int, href: () => "/orders" },
      ]),
    ),
  );
});
