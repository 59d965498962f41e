defmodule ShopWeb.Router do
  use Phoenix.Router
  import Phoenix.LiveView.Router

  @csp "default-src 'self'; script-src 'self'"

  pipeline :browser do
    plug :accepts, ["html"]
    plug :fetch_session
    plug :fetch_live_flash
    plug :protect_from_forgery
    plug :put_secure_browser_headers, %{"content-security-policy" => @csp}
  end

  pipeline :api do
    plug :accepts, ["json"]
    plug :fetch_session
  end

  pipeline :admin do
    plug ShopWeb.RequireAdmin, role: :admin
  end

  scope "/", ShopWeb do
    pipe_through :browser

    get "/", PageController, :home
    live "/products", ProductLive.Index, :index
    live "/products/:id", ProductLive.Show, :show

    live_session :authenticated, on_mount: [{ShopWeb.Auth, :ensure_authenticated}] do
      live "/cart", CartLive, :index
    end

    scope "/admin", Admin, as: :admin do
      pipe_through [:admin]

      resources "/orders", OrderController, only: [:index, :show] do
        get "/invoice", InvoiceController, :show
      end
    end
  end

  scope "/api", ShopWeb.API do
    pipe_through :api

    post "/webhooks/:provider", WebhookController, :create
    match :*, "/fallback", FallbackController, :any
  end

  scope path: "/internal", alias: ShopWeb do
    forward "/metrics", MetricsPlug
  end
end
