import Config

# Runtime configuration: evaluated at every boot of the release, for every env.
# (Fixture reconstructed after `mix phx.new upload_portal` with Phoenix 1.8.)

# A release only starts the HTTP listener when PHX_SERVER is set
# (bin/server from `mix phx.gen.release` sets it).
if System.get_env("PHX_SERVER") do
  config :upload_portal, UploadPortalWeb.Endpoint, server: true
end

config :upload_portal, UploadPortalWeb.Endpoint,
  http: [port: String.to_integer(System.get_env("PORT", "4000"))]

if config_env() == :prod do
  database_url =
    System.get_env("DATABASE_URL") ||
      raise """
      environment variable DATABASE_URL is missing.
      For example: ecto://USER:PASS@HOST/DATABASE
      """

  maybe_ipv6 = if System.get_env("ECTO_IPV6") in ~w(true 1), do: [:inet6], else: []

  config :upload_portal, UploadPortal.Repo,
    # ssl: true,
    url: database_url,
    pool_size: String.to_integer(System.get_env("POOL_SIZE") || "10"),
    # pool_count: 4,
    socket_options: maybe_ipv6

  # Cookies are signed with this; it comes from the environment in prod.
  secret_key_base =
    System.get_env("SECRET_KEY_BASE") ||
      raise """
      environment variable SECRET_KEY_BASE is missing.
      You can generate one by calling: mix phx.gen.secret
      """

  host = System.get_env("PHX_HOST") || "example.com"

  config :upload_portal, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")

  config :upload_portal, UploadPortalWeb.Endpoint,
    url: [host: host, port: 443, scheme: "https"],
    http: [
      # Bind on all IPv6 (and IPv4) interfaces.
      ip: {0, 0, 0, 0, 0, 0, 0, 0}
    ],
    secret_key_base: secret_key_base

  # ## SSL Support (commented out, as generated)
  #
  # An `https` listener would go here; with TLS ending at the proxy it stays off:
  #
  #     config :upload_portal, UploadPortalWeb.Endpoint,
  #       https: [
  #         port: 443,
  #         cipher_suite: :strong,
  #         keyfile: System.get_env("SOME_APP_SSL_KEY_PATH"),
  #         certfile: System.get_env("SOME_APP_SSL_CERT_PATH")
  #       ]
  #
  # The generated comment recommends force_ssl in prod.exs (compile time):
  #
  #     config :upload_portal, UploadPortalWeb.Endpoint,
  #       force_ssl: [hsts: true]

  # ## Mailer (commented out, as generated)
  #
  #     config :upload_portal, UploadPortal.Mailer,
  #       adapter: Swoosh.Adapters.Mailgun,
  #       api_key: System.get_env("MAILGUN_API_KEY"),
  #       domain: System.get_env("MAILGUN_DOMAIN")
end
