import { get, heading, page, pathId } from "/static/js/common.js";
import { agentDetail } from "/static/js/details.js";

page(async (content) => {
  const path = `/api/agents/${encodeURIComponent(pathId())}`;
  const [agent, performance] = await Promise.all([get("query-api", path), get("query-api", `${path}/performance`)]);
  heading(`Agent: ${agent.name}`);
  content.append(...agentDetail(agent, agent.variants, performance));
});
