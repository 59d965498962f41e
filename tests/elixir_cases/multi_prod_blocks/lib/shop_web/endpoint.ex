defmodule ShopWeb.Endpoint do
  # use Phoenix.Endpoint, otp_app: :wrong_app   <- commented code must not count
  use Phoenix.Endpoint, otp_app: :shop

  @session_options [store: :cookie, key: "_shop_key", signing_salt: "abcd1234", same_site: "Lax"]

  socket "/live", Phoenix.LiveView.Socket,
    websocket: [connect_info: [session: @session_options], check_origin: false],
    longpoll: false

  socket "/socket", ShopWeb.UserSocket, websocket: true, longpoll: false

  plug Plug.SSL, rewrite_on: [:x_forwarded_proto], exclude: ["localhost"]
  plug Plug.Static, at: "/", from: :shop, gzip: true, only: ShopWeb.static_paths()

  if code_reloading? do
    plug Phoenix.CodeReloader
  end

  plug Plug.Parsers,
    parsers: [:urlencoded, {:multipart, length: 100_000_000}, :json],
    pass: ["*/*"],
    length: 20_000_000,
    json_decoder: Jason

  plug Plug.Session, @session_options
  plug :health_check
  plug ShopWeb.Router

  def health_check(%{request_path: "/health"} = conn, _opts) do
    conn |> Plug.Conn.send_resp(200, "ok") |> Plug.Conn.halt()
  end

  def health_check(conn, _opts), do: conn
end
