import { fmt, get, page, table } from "/static/js/common.js";
import { TICKER } from "/static/js/details.js";

page(async (content) => {
  const patterns = await get("query-api", "/api/patterns");
  content.append(
    table("Historical patterns", [
      { key: "pattern_type", label: "Pattern" },
      TICKER,
      { key: "description", label: "Description" },
      { key: "occurrences", label: "Occurrences", format: fmt.int, num: true },
      { key: "avg_return_pct", label: "Avg return", format: fmt.pct, num: true },
      { key: "win_rate", label: "Win rate", format: fmt.ratio, num: true },
      { key: "lookback_days", label: "Lookback (days)", format: fmt.int, num: true },
      { key: "confidence", label: "Confidence", format: fmt.ratio, num: true },
    ], patterns, { name: "patterns" }),
  );
});
