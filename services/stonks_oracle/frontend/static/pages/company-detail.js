import { fields, fmt, get, heading, page, pathId, section, table } from "/static/js/common.js";

page(async (content) => {
  const id = pathId();
  const company = await get("query-api", `/api/companies/${encodeURIComponent(id)}`);
  heading(`${company.name} (${company.ticker})`);
  const [documents, trends, recommendations, exposure] = await Promise.all([
    get("query-api", "/api/documents", { ticker: company.ticker }),
    get("query-api", "/api/trends", { ticker: company.ticker }),
    get("query-api", "/api/recommendations", { ticker: company.ticker }),
    get("symbol-registry", `/api/companies/${encodeURIComponent(id)}/exposure`),
  ]);
  content.append(
    section(
      "Profile",
      "company",
      fields(company, [
        { key: "ticker", label: "Ticker" },
        { key: "name", label: "Name" },
        { key: "sector", label: "Sector" },
        { key: "industry", label: "Industry" },
        { key: "exchange", label: "Exchange" },
        { key: "market_cap", label: "Market cap", format: fmt.compact },
      ]),
    ),
    section(
      "Aliases and competitors",
      "relations",
      table("Aliases", [
        { key: "alias", label: "Alias" },
        { key: "alias_type", label: "Type" },
      ], company.aliases, { name: "aliases" }),
      table("Competitors", [
        { key: "ticker", label: "Ticker", href: (row) => `/companies/${row.competitor_id}` },
        { key: "relationship_type", label: "Relationship" },
        { key: "strength", label: "Strength", format: (v) => fmt.number(v), num: true },
      ], company.competitors, { name: "competitors" }),
    ),
    section(
      "Exposure",
      "exposure",
      table("Exposure (symbol registry)", [
        { key: "exposure_type", label: "Type" },
        { key: "exposure_key", label: "Exposure" },
        { key: "weight", label: "Weight", format: fmt.ratio, num: true },
        { key: "sensitivity", label: "Sensitivity", format: (v) => fmt.number(v), num: true },
      ], exposure, { name: "exposure" }),
    ),
    section(
      "Trends",
      "trends",
      table("Trends", [
        { key: "direction", label: "Direction", badge: true },
        { key: "strength", label: "Strength", format: (v) => fmt.number(v), num: true },
        { key: "confidence", label: "Confidence", format: fmt.ratio, num: true },
        { key: "window_end", label: "Window end", format: fmt.date },
        { key: "summary", label: "Summary", href: (row) => `/trends/${row.id}` },
      ], trends, { name: "trends" }),
    ),
    section(
      "Recommendations",
      "recommendations",
      table("Recommendations", [
        { key: "action", label: "Action", badge: true },
        { key: "status", label: "Status", badge: true },
        { key: "confidence", label: "Confidence", format: fmt.ratio, num: true },
        { key: "thesis", label: "Thesis", href: (row) => `/recommendations/${row.id}` },
      ], recommendations, { name: "recommendations" }),
    ),
    section(
      "Documents",
      "documents",
      table("Documents", [
        { key: "title", label: "Title", href: (row) => `/documents/${row.id}` },
        { key: "doc_type", label: "Type" },
        { key: "published_at", label: "Published", format: fmt.date },
      ], documents, { name: "documents" }),
    ),
  );
});
