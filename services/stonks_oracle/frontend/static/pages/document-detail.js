import { get, heading, page, pathId } from "/static/js/common.js";
import { documentDetail } from "/static/js/details.js";

page(async (content) => {
  const path = `/api/documents/${encodeURIComponent(pathId())}`;
  const [detail, raw] = await Promise.all([get("query-api", path), get("query-api", `${path}/raw`)]);
  heading(detail.title);
  content.append(...documentDetail(detail, raw));
});
