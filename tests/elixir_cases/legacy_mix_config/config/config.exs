# This project still uses the deprecated Mix.Config.
use Mix.Config

config :blog, ecto_repos: [Blog.Repo]

config :blog, BlogWeb.Endpoint,
  url: [host: "localhost"],
  secret_key_base: "compile-time-placeholder-not-a-real-secret-000000000000000000000000",
  render_errors: [view: BlogWeb.ErrorView, accepts: ~w(html json)],
  pubsub_server: Blog.PubSub

config :logger, :console,
  format: "$time $metadata[$level] $message\n",
  metadata: [:request_id]

config :phoenix, :json_library, Jason

import_config "#{Mix.env()}.exs"
