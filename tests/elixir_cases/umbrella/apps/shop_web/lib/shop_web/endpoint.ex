defmodule ShopWeb.Endpoint do
  use Phoenix.Endpoint, otp_app: :shop_web

  @session_options [store: :cookie, key: "_shop_web_key", signing_salt: "Um8rella"]

  socket "/live", Phoenix.LiveView.Socket, websocket: [connect_info: [session: @session_options]]

  plug Plug.Static, at: "/", from: :shop_web, gzip: false
  plug Plug.RequestId
  plug Plug.Parsers, parsers: [:urlencoded, :multipart, :json], pass: ["*/*"], json_decoder: Jason
  plug Plug.Session, @session_options
  plug ShopWeb.Router
end
