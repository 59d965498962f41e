use Mix.Config

config :blog, BlogWeb.Endpoint,
  url: [host: "blog.example.com", port: 80],
  cache_static_manifest: "priv/static/cache_manifest.json"

config :logger, level: :info
