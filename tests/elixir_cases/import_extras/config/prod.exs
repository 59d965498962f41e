import Config

config :ledger, LedgerWeb.Endpoint,
  cache_static_manifest: "priv/static/cache_manifest.json",
  http: [port: 80, compress: true]

config :ledger, Oban, queues: [default: 20, imports: [limit: 4]]

# Per-env tuning kept in a sub-directory.
import_config "tuning/#{config_env()}_tuning.exs"

# Secrets at compile time (legacy layout): read from the build environment.
import_config "prod.secret.exs"
