import { fmt, get, page, section, selectedId, selectLink, table } from "/static/js/common.js";
import { TICKER, documentDetail } from "/static/js/details.js";

page(async (content) => {
  const documents = await get("query-api", "/api/documents");
  const id = selectedId(documents);
  content.append(
    table("Documents", [
      { key: "title", label: "Title", href: (row) => `/documents/${row.id}` },
      TICKER,
      { key: "doc_type", label: "Type" },
      { key: "source", label: "Source" },
      { key: "published_at", label: "Published", format: fmt.date },
      { key: "select", label: "Details", render: (row) => selectLink(row, row.title) },
    ], documents, { name: "documents", selectedId: id }),
  );
  if (!id) return;
  const path = `/api/documents/${encodeURIComponent(id)}`;
  const [detail, raw] = await Promise.all([get("query-api", path), get("query-api", `${path}/raw`)]);
  content.append(section(`Selected document: ${detail.title}`, "selected", ...documentDetail(detail, raw)));
});
