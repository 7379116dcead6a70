import { get, heading, page, pathId } from "/static/js/common.js";
import { orderDetail } from "/static/js/details.js";

page(async (content) => {
  const order = await get("query-api", `/api/orders/${encodeURIComponent(pathId())}`);
  heading(`Order ${order.broker_order_id || order.id}: ${order.side} ${order.ticker}`);
  content.append(...orderDetail(order, order.events, order.audit));
});
