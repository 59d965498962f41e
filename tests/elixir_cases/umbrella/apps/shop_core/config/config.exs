import Config

config :shop_core, ecto_repos: [ShopCore.Repo]
config :shop_core, :tax_rate, 0.2
config :shop_core, ShopCore.Repo, migration_timestamps: [type: :utc_datetime]
