import Config

config :shop, ShopWeb.Endpoint, debug_errors: true, code_reloader: true, check_origin: false
config :shop, dev_routes: true
