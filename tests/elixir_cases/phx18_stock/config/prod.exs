import Config

# Digested static files (written by `mix assets.deploy`).
config :upload_portal, UploadPortalWeb.Endpoint,
  cache_static_manifest: "priv/static/cache_manifest.json"

# HTTPS redirect and HSTS (Phoenix >= 1.8.5 layout: exclude inside force_ssl).
# force_ssl must be set at compile time.
config :upload_portal, UploadPortalWeb.Endpoint,
  force_ssl: [
    rewrite_on: [:x_forwarded_proto],
    exclude: [
      # paths: ["/health"],
      hosts: ["localhost", "127.0.0.1"]
    ]
  ]

# Configure Swoosh API Client
config :swoosh, api_client: Swoosh.ApiClient.Req

# Disable Swoosh Local Memory Storage
config :swoosh, local: false

# Do not print debug messages in production
config :logger, level: :info

# Environment variables are read in config/runtime.exs.
