# Umbrella root config: shared settings here, per-app files imported below.
import Config

config :shop_web,
  ecto_repos: [ShopCore.Repo],
  generators: [context_app: :shop_core]

config :shop_web, ShopWeb.Endpoint,
  url: [host: "localhost"],
  render_errors: [view: ShopWeb.ErrorView, accepts: ~w(html json), layout: false],
  pubsub_server: ShopCore.PubSub,
  live_view: [signing_salt: "UmBrElLa"]

# The older umbrella layout: every app keeps a config/config.exs of its own.
for config <- "../apps/*/config/config.exs" |> Path.expand(__DIR__) |> Path.wildcard() do
  import_config config
end

import_config "#{config_env()}.exs"
