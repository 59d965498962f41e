import Config

# 🚀 本番環境の設定 (runtime) — several prod blocks, as real apps grow them

port = String.to_integer(System.get_env("PORT") || "4000")

if config_env() == :prod do
  config :shop, ShopWeb.Endpoint, http: [port: port, ip: {0, 0, 0, 0, 0, 0, 0, 0}]
end

if config_env() == :prod do
  host = System.get_env("PHX_HOST") || raise "PHX_HOST is missing 😱"

  config :shop, ShopWeb.Endpoint,
    url: [host: host, port: 443, scheme: "https"],
    check_origin: ["https://#{host}", "https://www.example.com"]
end

if config_env() == :prod do
  config :shop, Shop.Repo,
    url: System.fetch_env!("DATABASE_URL"),
    pool_size: String.to_integer(System.get_env("POOL_SIZE", "12")),
    ssl: [cacertfile: "/etc/ssl/certs/ca-certificates.crt", verify: :verify_peer],
    timeout: 15_000,
    queue_target: 5 * 1000,
    prepare: :unnamed
end

if config_env() == :dev do
  config :shop, :should_not_appear, true
end

# Undecidable statically: depends on the environment at boot.
if config_env() == :prod and System.get_env("ENABLE_FEATURE_X") == "true" do
  config :shop, :feature_x, true
end

if System.get_env("PHX_SERVER") do
  config :shop, ShopWeb.Endpoint, server: true
end

if config_env() == :prod do
  config :shop, ShopWeb.Endpoint,
    secret_key_base: System.fetch_env!("SECRET_KEY_BASE"),
    live_view: [signing_salt: "runtime-salt"]

  config :shop, Shop.Mailer,
    adapter: Swoosh.Adapters.Postmark,
    api_key: System.get_env("POSTMARK_API_KEY")
end

log_level =
  case System.get_env("LOG_LEVEL") do
    nil -> :info
    level -> String.to_existing_atom(level)
  end

config :logger, level: log_level
