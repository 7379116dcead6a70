"""frontend: the Stonks Oracle UI (17 pages) and its same-origin gateway to the four services."""
