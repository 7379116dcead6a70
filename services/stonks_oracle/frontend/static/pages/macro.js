import { fmt, get, page, section, selectedId, selectLink, table } from "/static/js/common.js";
import { macroDetail } from "/static/js/details.js";

page(async (content) => {
  const events = await get("query-api", "/api/macro/events");
  const id = selectedId(events);
  content.append(
    table("Macro events", [
      { key: "title", label: "Event", href: (row) => `/macro/${row.id}` },
      { key: "event_type", label: "Type" },
      { key: "severity", label: "Severity", badge: true },
      { key: "region", label: "Region" },
      { key: "occurred_at", label: "Occurred", format: fmt.date },
      { key: "impact_count", label: "Impacts", format: fmt.int, num: true },
      { key: "select", label: "Details", render: (row) => selectLink(row, row.title) },
    ], events, { name: "events", selectedId: id }),
  );
  if (!id) return;
  const impacts = await get("query-api", `/api/macro/events/${encodeURIComponent(id)}/impacts`);
  const event = events.find((row) => row.id === id);
  const title = event ? `Selected event: ${event.title}` : "Selected event";
  content.append(section(title, "selected", ...macroDetail(null, impacts)));
});
