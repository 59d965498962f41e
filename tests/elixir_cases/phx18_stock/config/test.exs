import Config

# Test database (MIX_TEST_PARTITION splits it per CI partition)
config :upload_portal, UploadPortal.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  database: "upload_portal_test#{System.get_env("MIX_TEST_PARTITION")}",
  pool: Ecto.Adapters.SQL.Sandbox,
  pool_size: System.schedulers_online() * 2

config :upload_portal, UploadPortalWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}, port: 4002],
  secret_key_base: "test-only-placeholder-secret-key-base-for-flylint-fixtures-0123456789abcd",
  server: false

# In test we don't send emails
config :upload_portal, UploadPortal.Mailer, adapter: Swoosh.Adapters.Test

# Disable swoosh api client as it is only required for production adapters
config :swoosh, :api_client, false

# Print only warnings and errors during test
config :logger, level: :warning

# Initialize plugs at runtime for faster test compilation
config :phoenix, :plug_init_mode, :runtime

# Enable helpful, but potentially expensive runtime checks
config :phoenix_live_view,
  enable_expensive_runtime_checks: true
