import { fmt, get, page, table } from "/static/js/common.js";

page(async (content) => {
  const stages = await get("query-api", "/api/ops/pipeline-health");
  content.append(
    table("Pipeline stages", [
      { key: "stage", label: "Stage" },
      { key: "status", label: "Status", badge: true },
      { key: "last_run_at", label: "Last run", format: fmt.date },
      { key: "last_success_at", label: "Last success", format: fmt.date },
      { key: "latency_ms", label: "Latency (ms)", format: fmt.int, num: true },
      { key: "error_count", label: "Errors", format: fmt.int, num: true },
      { key: "message", label: "Message" },
    ], stages, { name: "stages" }),
  );
});
