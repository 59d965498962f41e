import Config

if config_env() == :prod do
  config :notes, NotesWeb.Endpoint,
    http: [port: Notes.ConfigHelpers.pool_size(4000)],
    url: [host: System.get_env("PHX_HOST") || "notes.example.com", scheme: "https"]
end
