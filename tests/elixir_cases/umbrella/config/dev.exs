import Config

config :shop_web, ShopWeb.Endpoint, debug_errors: true
