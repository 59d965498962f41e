import Config

# Configure your database
config :upload_portal, UploadPortal.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  database: "upload_portal_dev",
  stacktrace: true,
  show_sensitive_data_on_connection_error: true,
  pool_size: 10

# Development: debugging, code reloading and asset watchers.
config :upload_portal, UploadPortalWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}],
  check_origin: false,
  code_reloader: true,
  debug_errors: true,
  secret_key_base: "dev-only-placeholder-secret-key-base-for-flylint-fixtures-0123456789abcdef",
  watchers: [
    esbuild: {Esbuild, :install_and_run, [:upload_portal, ~w(--sourcemap=inline --watch)]},
    tailwind: {Tailwind, :install_and_run, [:upload_portal, ~w(--watch)]}
  ]

# Watch static and templates for browser reloading.
config :upload_portal, UploadPortalWeb.Endpoint,
  live_reload: [
    web_console_logger: true,
    patterns: [
      ~r"priv/static/(?!uploads/).*\.(js|css|png|jpeg|jpg|gif|svg)$"E,
      ~r"priv/gettext/.*\.po$"E,
      ~r"lib/upload_portal_web/router\.ex$"E,
      ~r"lib/upload_portal_web/(controllers|live|components)/.*\.(ex|heex)$"E
    ]
  ]

# Enable dev routes for dashboard and mailbox
config :upload_portal, dev_routes: true

# Do not include metadata nor timestamps in development logs
config :logger, :default_formatter, format: "[$level] $message\n"

config :phoenix, :stacktrace_depth, 20

# Initialize plugs at runtime for faster development compilation
config :phoenix, :plug_init_mode, :runtime

config :phoenix_live_view,
  debug_heex_annotations: true,
  debug_attributes: true,
  enable_expensive_runtime_checks: true

# Disable swoosh api client as it is only required for production adapters.
config :swoosh, :api_client, false
