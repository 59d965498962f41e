# Not a config file: loaded with Code.require_file from config.exs.
defmodule Notes.ConfigHelpers do
  def jobs do
    [{"@daily", {Notes.Cleanup, :run, []}}, {"*/5 * * * *", {Notes.Sync, :run, []}}]
  end

  def pool_size(n), do: n * 2
end
