import { fmt, get, page, section, table } from "/static/js/common.js";

page(async (content) => {
  const [snapshots, risk] = await Promise.all([
    get("query-api", "/api/portfolio/snapshots"),
    get("risk-engine", "/api/risk/snapshots"),
  ]);
  content.append(
    section(
      "Portfolio snapshots",
      "snapshots",
      table("Portfolio snapshots", [
        { key: "snapshot_at", label: "Snapshot", format: fmt.date },
        { key: "total_value", label: "Total value", format: fmt.money, num: true },
        { key: "cash", label: "Cash", format: fmt.money, num: true },
        { key: "positions_value", label: "Positions value", format: fmt.money, num: true },
        { key: "daily_pnl", label: "Daily P&L", format: fmt.money, num: true },
        { key: "position_count", label: "Positions", format: fmt.int, num: true },
        { key: "mode", label: "Mode" },
      ], snapshots, { name: "snapshots" }),
    ),
    section(
      "Daily risk snapshots",
      "risk",
      table("Daily risk snapshots (risk engine)", [
        { key: "snapshot_date", label: "Date" },
        { key: "gross_exposure", label: "Gross exposure", format: fmt.money, num: true },
        { key: "net_exposure", label: "Net exposure", format: fmt.money, num: true },
        { key: "var_95", label: "VaR 95%", format: fmt.money, num: true },
        { key: "max_drawdown_pct", label: "Max drawdown", format: fmt.pct, num: true },
        { key: "open_positions", label: "Open positions", format: fmt.int, num: true },
        { key: "pending_approvals", label: "Pending approvals", format: fmt.int, num: true },
        { key: "active_lockouts", label: "Active lockouts", format: fmt.int, num: true },
      ], risk, { name: "risk" }),
    ),
  );
});
