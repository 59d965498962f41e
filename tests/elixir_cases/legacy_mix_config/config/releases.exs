import Config

# releases.exs: the runtime config file before runtime.exs existed.
config :blog, BlogWeb.Endpoint,
  server: true,
  http: [port: {:system, "PORT"}, transport_options: [socket_opts: [:inet6]]],
  url: [host: System.get_env("PHX_HOST", "blog.example.com"), port: 443]

config :blog, Blog.Repo,
  url: System.fetch_env!("DATABASE_URL"),
  ssl: true,
  pool_size: 10
