import { fmt, get, page, section, selectedId, selectLink, table } from "/static/js/common.js";
import { TICKER, trendDetail } from "/static/js/details.js";

page(async (content) => {
  const trends = await get("query-api", "/api/trends");
  const id = selectedId(trends);
  content.append(
    table("Trend windows", [
      TICKER,
      { key: "direction", label: "Direction", badge: true },
      { key: "strength", label: "Strength", format: (v) => fmt.number(v), num: true },
      { key: "confidence", label: "Confidence", format: fmt.ratio, num: true },
      { key: "signal_count", label: "Signals", format: fmt.int, num: true },
      { key: "window_end", label: "Window end", format: fmt.date },
      { key: "summary", label: "Summary", href: (row) => `/trends/${row.id}` },
      { key: "select", label: "Details", render: (row) => selectLink(row, `the ${row.ticker} trend`) },
    ], trends, { name: "trends", selectedId: id }),
  );
  if (!id) return;
  const path = `/api/trends/${encodeURIComponent(id)}`;
  const [projections, evidence] = await Promise.all([
    get("query-api", `${path}/projections`),
    get("query-api", `${path}/evidence`),
  ]);
  const trend = trends.find((row) => row.id === id);
  const title = trend ? `Selected trend: ${trend.ticker}` : "Selected trend";
  content.append(section(title, "selected", ...trendDetail(null, projections, evidence)));
});
