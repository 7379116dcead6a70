import { cards, fmt, get, page, section, table } from "/static/js/common.js";

page(async (content) => {
  const [summary, runs] = await Promise.all([
    get("query-api", "/api/ops/ingestion-summary"),
    get("query-api", "/api/ops/ingestion-runs"),
  ]);
  content.append(
    section(
      "Summary",
      "summary",
      cards(summary, [
        { key: "total_runs", label: "Runs", format: fmt.int },
        { key: "completed_runs", label: "Completed", format: fmt.int },
        { key: "failed_runs", label: "Failed", format: fmt.int },
        { key: "running_runs", label: "Running", format: fmt.int },
        { key: "documents_fetched", label: "Documents fetched", format: fmt.int },
        { key: "documents_stored", label: "Documents stored", format: fmt.int },
        { key: "error_count", label: "Errors", format: fmt.int },
        { key: "last_success_at", label: "Last success", format: fmt.date },
      ]),
    ),
    section(
      "Runs",
      "runs",
      table("Ingestion runs", [
        { key: "source", label: "Source" },
        { key: "status", label: "Status", badge: true },
        { key: "started_at", label: "Started", format: fmt.date },
        { key: "finished_at", label: "Finished", format: fmt.date },
        { key: "documents_fetched", label: "Fetched", format: fmt.int, num: true },
        { key: "documents_stored", label: "Stored", format: fmt.int, num: true },
        { key: "error_count", label: "Errors", format: fmt.int, num: true },
        { key: "error_message", label: "Error" },
      ], runs, { name: "runs" }),
    ),
  );
});
