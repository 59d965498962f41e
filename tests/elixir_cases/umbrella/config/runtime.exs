import Config

if config_env() == :prod do
  config :shop_core, ShopCore.Repo,
    url: System.get_env("DATABASE_URL") || raise("DATABASE_URL is missing"),
    socket_options: [:inet6]

  config :shop_web, ShopWeb.Endpoint,
    http: [port: String.to_integer(System.get_env("PORT") || "4000"), ip: {0, 0, 0, 0, 0, 0, 0, 0}],
    url: [host: System.get_env("PHX_HOST") || "shop.example.com", port: 443, scheme: "https"],
    secret_key_base: System.fetch_env!("SECRET_KEY_BASE"),
    server: true
end
