import { get, heading, page, pathId } from "/static/js/common.js";
import { recommendationDetail } from "/static/js/details.js";

page(async (content) => {
  const rec = await get("query-api", `/api/recommendations/${encodeURIComponent(pathId())}`);
  heading(`Recommendation: ${rec.ticker} ${rec.action}`);
  content.append(...recommendationDetail(rec, rec.citations));
});
