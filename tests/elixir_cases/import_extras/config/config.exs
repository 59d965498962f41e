import Config

config :ledger,
  ecto_repos: [Ledger.Repo],
  namespace: Ledger

config :ledger, LedgerWeb.Endpoint,
  url: [host: "localhost"],
  http: [port: 4000],
  pubsub_server: Ledger.PubSub

# Shared settings live in their own file, imported by absolute path.
import_config Path.expand("shared.exs", __DIR__)

# Older projects import "#{Mix.env()}.exs" rather than config_env().
import_config "#{Mix.env()}.exs"
