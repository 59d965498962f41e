defmodule ShopUmbrella.MixProject do
  use Mix.Project

  def project do
    [
      apps_path: "apps",
      version: "0.1.0",
      start_permanent: Mix.env() == :prod,
      deps: deps(),
      releases: [
        shop: [
          applications: [shop_core: :permanent, shop_web: :permanent],
          include_executables_for: [:unix]
        ]
      ]
    ]
  end

  # Dependencies listed here are available only for this project.
  defp deps do
    []
  end
end
