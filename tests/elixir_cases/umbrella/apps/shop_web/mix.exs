defmodule ShopWeb.MixProject do
  use Mix.Project

  def project do
    [
      app: :shop_web,
      version: "0.1.0",
      build_path: "../../_build",
      config_path: "../../config/config.exs",
      deps_path: "../../deps",
      lockfile: "../../mix.lock",
      elixir: "~> 1.15",
      deps: deps()
    ]
  end

  defp deps do
    [
      {:phoenix, "~> 1.7.14"},
      {:shop_core, in_umbrella: true},
      {:plug_cowboy, "~> 2.7"}
    ]
  end
end
