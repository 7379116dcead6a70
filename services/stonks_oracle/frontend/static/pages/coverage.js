import { fmt, get, page, table } from "/static/js/common.js";
import { TICKER } from "/static/js/details.js";

page(async (content) => {
  const gaps = await get("query-api", "/api/ops/coverage-gaps");
  content.append(
    table("Coverage gaps", [
      TICKER,
      { key: "gap_type", label: "Gap" },
      { key: "status", label: "Status", badge: true },
      { key: "description", label: "Description" },
      { key: "last_document_at", label: "Last document", format: fmt.date },
      { key: "detected_at", label: "Detected", format: fmt.date },
      { key: "resolved_at", label: "Resolved", format: fmt.date },
    ], gaps, { name: "gaps" }),
  );
});
