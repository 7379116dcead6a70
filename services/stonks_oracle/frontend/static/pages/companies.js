import { fmt, get, page, table } from "/static/js/common.js";

page(async (content) => {
  const companies = await get("query-api", "/api/companies");
  content.append(
    table("Companies", [
      { key: "ticker", label: "Ticker", href: (row) => `/companies/${row.id}` },
      { key: "name", label: "Name" },
      { key: "sector", label: "Sector" },
      { key: "industry", label: "Industry" },
      { key: "exchange", label: "Exchange" },
      { key: "market_cap", label: "Market cap", format: fmt.compact, num: true },
    ], companies, { name: "companies" }),
  );
});
