import { get, heading, page, pathId } from "/static/js/common.js";
import { trendDetail } from "/static/js/details.js";

page(async (content) => {
  const trend = await get("query-api", `/api/trends/${encodeURIComponent(pathId())}`);
  heading(`Trend: ${trend.ticker}`);
  content.append(...trendDetail(trend, trend.projections, trend.evidence));
});
