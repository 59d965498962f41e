import Config

# 🎉 prod.exs: compile time
config :shop, ShopWeb.Endpoint,
  cache_static_manifest: "priv/static/cache_manifest.json",
  force_ssl: [rewrite_on: [:x_forwarded_proto], hsts: true, expires: 63_072_000]

config :logger, level: :info
