"""Values and helpers every layer shares: the error hierarchy, the frozen Endpoints and
Sandbox, atomic JSON files, the S3 client factory. Imports nothing else of the plugin."""
