import { get, heading, page, pathId } from "/static/js/common.js";
import { macroDetail } from "/static/js/details.js";

page(async (content) => {
  const event = await get("query-api", `/api/macro/events/${encodeURIComponent(pathId())}`);
  heading(event.title);
  content.append(...macroDetail(event, event.impacts));
});
