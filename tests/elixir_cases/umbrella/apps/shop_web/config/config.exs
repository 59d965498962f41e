import Config

config :shop_web, :gettext_locales, ~w(en ja)
config :shop_web, ShopWeb.Gettext, default_locale: "ja"
