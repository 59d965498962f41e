# Compile-time configuration shared by every env.
# (Fixture reconstructed after `mix phx.new upload_portal` with Phoenix 1.8.)
import Config

config :upload_portal,
  ecto_repos: [UploadPortal.Repo],
  generators: [timestamp_type: :utc_datetime]

# Configures the endpoint
config :upload_portal, UploadPortalWeb.Endpoint,
  url: [host: "localhost"],
  adapter: Bandit.PhoenixAdapter,
  render_errors: [
    formats: [html: UploadPortalWeb.ErrorHTML, json: UploadPortalWeb.ErrorJSON],
    layout: false
  ],
  pubsub_server: UploadPortal.PubSub,
  live_view: [signing_salt: "Q1x7Vb2M"]

# Local mailer adapter (mails visible at /dev/mailbox in dev)
config :upload_portal, UploadPortal.Mailer, adapter: Swoosh.Adapters.Local

# Configure esbuild (the version is required)
config :esbuild,
  version: "0.25.4",
  upload_portal: [
    args:
      ~w(js/app.js --bundle --target=es2022 --outdir=../priv/static/assets/js --external:/fonts/* --external:/images/* --alias:@=.),
    cd: Path.expand("../assets", __DIR__),
    env: %{"NODE_PATH" => [Path.expand("../deps", __DIR__), Mix.Project.build_path()]}
  ]

# Configure tailwind (the version is required)
config :tailwind,
  version: "4.1.7",
  upload_portal: [
    args: ~w(
      --input=assets/css/app.css
      --output=priv/static/assets/css/app.css
    ),
    cd: Path.expand("..", __DIR__)
  ]

# Configures Elixir's Logger
config :logger, :default_formatter,
  format: "$time $metadata[$level] $message\n",
  metadata: [:request_id]

# Use Jason for JSON parsing in Phoenix
config :phoenix, :json_library, Jason

# Env-specific config last, so that it overrides the above.
import_config "#{config_env()}.exs"
