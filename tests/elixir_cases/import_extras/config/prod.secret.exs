import Config

# In this layout secrets are read while compiling (a build-time environment).
secret_key_base =
  System.get_env("SECRET_KEY_BASE") ||
    raise """
    environment variable SECRET_KEY_BASE is missing.
    You can generate one by calling: mix phx.gen.secret
    """

database_url = System.get_env("DATABASE_URL") || "ecto://postgres:postgres@localhost/ledger"

config :ledger, Ledger.Repo,
  url: database_url,
  pool_size: String.to_integer(System.get_env("POOL_SIZE") || "10")

config :ledger, LedgerWeb.Endpoint,
  http: [port: String.to_integer(System.get_env("PORT") || "4000")],
  secret_key_base: secret_key_base
