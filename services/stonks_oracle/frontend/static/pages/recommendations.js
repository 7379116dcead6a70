import { fmt, get, page, section, selectedId, selectLink, table } from "/static/js/common.js";
import { TICKER, recommendationDetail } from "/static/js/details.js";

page(async (content) => {
  const recommendations = await get("query-api", "/api/recommendations");
  const id = selectedId(recommendations);
  content.append(
    table("Recommendations", [
      TICKER,
      { key: "action", label: "Action", badge: true },
      { key: "status", label: "Status", badge: true },
      { key: "confidence", label: "Confidence", format: fmt.ratio, num: true },
      { key: "target_price", label: "Target", format: fmt.money, num: true },
      { key: "thesis", label: "Thesis", href: (row) => `/recommendations/${row.id}` },
      { key: "select", label: "Details", render: (row) => selectLink(row, `the ${row.ticker} recommendation`) },
    ], recommendations, { name: "recommendations", selectedId: id }),
  );
  if (!id) return;
  const citations = await get("query-api", `/api/recommendations/${encodeURIComponent(id)}/citations`);
  const rec = recommendations.find((row) => row.id === id);
  const title = rec ? `Selected recommendation: ${rec.ticker} ${rec.action}` : "Selected recommendation";
  content.append(section(title, "selected", ...recommendationDetail(null, citations)));
});
