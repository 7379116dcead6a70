import { fmt, get, link, page, table } from "/static/js/common.js";
import { TICKER } from "/static/js/details.js";

page(async (content) => {
  const signals = await get("query-api", "/api/competitive/signals");
  content.append(
    table("Competitive signals", [
      TICKER,
      {
        key: "competitor_ticker",
        label: "Competitor",
        render: (row) => (row.competitor_id ? link(`/companies/${row.competitor_id}`, fmt.text(row.competitor_ticker)) : fmt.text(row.competitor_ticker)),
      },
      { key: "signal_type", label: "Signal" },
      { key: "impact_direction", label: "Impact", badge: true },
      { key: "strength", label: "Strength", format: (v) => fmt.number(v), num: true },
      { key: "description", label: "Description" },
      { key: "detected_at", label: "Detected", format: fmt.date },
    ], signals, { name: "signals" }),
  );
});
