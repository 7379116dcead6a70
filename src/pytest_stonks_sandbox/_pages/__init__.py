"""Frontend page checks: the page manifest, and a checker that drives a real Chromium through
Playwright (imported lazily, behind the `browser` extra) over every page the manifest declares."""
