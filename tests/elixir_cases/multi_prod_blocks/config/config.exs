import Config

# 設定ファイル：本番とそれ以外で分岐する 🚀
# Several env guards in one file, decided statically for :prod.
config :shop, ecto_repos: [Shop.Repo]

config :shop, ShopWeb.Endpoint,
  url: [host: "localhost", port: 4000],
  render_errors: [formats: [html: ShopWeb.ErrorHTML], layout: false],
  pubsub_server: Shop.PubSub,
  live_view: [signing_salt: "sAlT1234"]

if config_env() == :prod do
  config :shop, :compile_flag, :prod_only
end

if config_env() != :prod do
  config :shop, :dev_only, true
end

unless config_env() in [:dev, :test] do
  config :shop, :release_build, true
end

if Mix.env() == :prod and config_target() == :host do
  config :shop, :host_target, "yes"
end

if :prod == config_env() or false do
  config :shop, :reversed_comparison, "ok"
else
  config :shop, :reversed_comparison, "not ok"
end

case config_env() do
  :prod -> config :shop, :case_env, "prod branch"
  :dev -> config :shop, :case_env, "dev branch"
  _ -> config :shop, :case_env, "other"
end

case config_env() do
  env when env in [:staging, :prod] -> config :shop, :guarded_case, Atom.to_string(env)
  _ -> config :shop, :guarded_case, "no"
end

cond do
  config_env() == :test -> config :shop, :cond_env, 1
  config_env() in [:prod, :staging] -> config :shop, :cond_env, 2
  true -> config :shop, :cond_env, 3
end

if config_env() not in [:dev] && !(config_env() == :test) do
  config :shop, :negations, [not_dev: true]
end

import_config "#{config_env()}.exs"
