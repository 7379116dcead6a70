import { fmt, get, page, section, selectedId, selectLink, table } from "/static/js/common.js";
import { agentDetail } from "/static/js/details.js";

page(async (content) => {
  const agents = await get("query-api", "/api/agents");
  const id = selectedId(agents);
  content.append(
    table("AI agents", [
      { key: "name", label: "Name", href: (row) => `/agents/${row.id}` },
      { key: "agent_type", label: "Type" },
      { key: "status", label: "Status", badge: true },
      { key: "default_model", label: "Default model" },
      { key: "variant_count", label: "Variants", format: fmt.int, num: true },
      { key: "select", label: "Details", render: (row) => selectLink(row, row.name) },
    ], agents, { name: "agents", selectedId: id }),
  );
  if (!id) return;
  const path = `/api/agents/${encodeURIComponent(id)}`;
  const [variants, performance] = await Promise.all([
    get("query-api", `${path}/variants`),
    get("query-api", `${path}/performance`),
  ]);
  const agent = agents.find((row) => row.id === id);
  const title = agent ? `Selected agent: ${agent.name}` : "Selected agent";
  content.append(section(title, "selected", ...agentDetail(null, variants, performance)));
});
