defmodule UploadPortalWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :upload_portal

  # Session cookie: signed, not encrypted (add :encryption_salt to encrypt it).
  @session_options [
    store: :cookie,
    key: "_upload_portal_key",
    signing_salt: "h7Lq2sXe",
    same_site: "Lax"
  ]

  socket "/live", Phoenix.LiveView.Socket,
    websocket: [connect_info: [session: @session_options]],
    longpoll: [connect_info: [session: @session_options]]

  # Static files from priv/static; gzip variants are served when code
  # reloading is off (they come from `phx.digest`).
  plug Plug.Static,
    at: "/",
    from: :upload_portal,
    gzip: not code_reloading?,
    only: UploadPortalWeb.static_paths()

  # Code reloading is enabled by the :code_reloader endpoint setting (dev).
  if code_reloading? do
    socket "/phoenix/live_reload/socket", Phoenix.LiveReloader.Socket
    plug Phoenix.LiveReloader
    plug Phoenix.CodeReloader
    plug Phoenix.Ecto.CheckRepoStatus, otp_app: :upload_portal
  end

  plug Phoenix.LiveDashboard.RequestLogger,
    param_key: "request_logger",
    cookie_key: "request_logger"

  plug Plug.RequestId
  plug Plug.Telemetry, event_prefix: [:phoenix, :endpoint]

  plug Plug.Parsers,
    parsers: [:urlencoded, :multipart, :json],
    pass: ["*/*"],
    json_decoder: Phoenix.json_library()

  plug Plug.MethodOverride
  plug Plug.Head
  plug Plug.Session, @session_options
  plug UploadPortalWeb.Router
end
