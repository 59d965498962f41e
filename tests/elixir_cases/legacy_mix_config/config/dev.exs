use Mix.Config

config :blog, BlogWeb.Endpoint, debug_errors: true, code_reloader: true
