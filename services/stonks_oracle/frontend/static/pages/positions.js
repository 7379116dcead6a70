import { fmt, get, page, table } from "/static/js/common.js";
import { TICKER } from "/static/js/details.js";

page(async (content) => {
  const positions = await get("query-api", "/api/positions");
  content.append(
    table("Open positions", [
      TICKER,
      { key: "company_name", label: "Company" },
      { key: "quantity", label: "Quantity", format: fmt.number, num: true },
      { key: "avg_cost", label: "Avg cost", format: fmt.money, num: true },
      { key: "market_price", label: "Price", format: fmt.money, num: true },
      { key: "market_value", label: "Value", format: fmt.money, num: true },
      { key: "unrealized_pnl", label: "Unrealized P&L", format: fmt.money, num: true },
      { key: "realized_pnl", label: "Realized P&L", format: fmt.money, num: true },
      { key: "total_pnl", label: "Total P&L", format: fmt.money, num: true },
      { key: "unrealized_pnl_pct", label: "Unrealized", format: fmt.pct, num: true },
    ], positions, { name: "positions" }),
  );
});
