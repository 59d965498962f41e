import Config

config :notes, NotesWeb.Endpoint,
  url: [host: Notes.ConfigHelpers.pool_size(1) |> Integer.to_string()],
  force_ssl: [rewrite_on: [:x_forwarded_proto]]
