import { fmt, get, page, section, selectedId, selectLink, table } from "/static/js/common.js";
import { TICKER, orderDetail } from "/static/js/details.js";

page(async (content) => {
  const orders = await get("query-api", "/api/orders");
  const id = selectedId(orders);
  content.append(
    table("Orders", [
      { key: "broker_order_id", label: "Order", href: (row) => `/orders/${row.id}` },
      TICKER,
      { key: "side", label: "Side", badge: true },
      { key: "quantity", label: "Quantity", format: fmt.number, num: true },
      { key: "order_type", label: "Type" },
      { key: "limit_price", label: "Limit", format: fmt.money, num: true },
      { key: "status", label: "Status", badge: true },
      { key: "submitted_at", label: "Submitted", format: fmt.date },
      { key: "select", label: "Details", render: (row) => selectLink(row, `order ${row.broker_order_id || row.id}`) },
    ], orders, { name: "orders", selectedId: id }),
  );
  if (!id) return;
  const path = `/api/orders/${encodeURIComponent(id)}`;
  const [events, audit] = await Promise.all([get("query-api", `${path}/events`), get("query-api", `${path}/audit`)]);
  const order = orders.find((row) => row.id === id);
  const title = order ? `Selected order: ${order.broker_order_id || order.id} (${order.ticker})` : "Selected order";
  content.append(section(title, "selected", ...orderDetail(null, events, audit)));
});
