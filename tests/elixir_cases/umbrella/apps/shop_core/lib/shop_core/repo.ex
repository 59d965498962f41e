defmodule ShopCore.Repo do
  use Ecto.Repo, otp_app: :shop_core, adapter: Ecto.Adapters.Postgres
end
