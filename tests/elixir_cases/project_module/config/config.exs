import Config

# Helpers defined by the project itself: flylint cannot run them.
Code.require_file("config_helpers.exs", __DIR__)

defmodule Notes.InlineHelper do
  def name, do: "inline"
end

config :notes, Notes.Scheduler,
  jobs: Notes.ConfigHelpers.jobs(),
  timezone: "Etc/UTC",
  overlap: false

config :notes, :pool_size, Notes.ConfigHelpers.pool_size(4)
config :notes, :inline_name, Notes.InlineHelper.name()
config :notes, :computed_port, Notes.ConfigHelpers.pool_size(2000) + 80
config :notes, :mfa, {Notes.ConfigHelpers, :pool_size, [4]}
config :notes, :literal_after_unknowns, "still read"

import_config "#{config_env()}.exs"
