import Config

config :ledger, LedgerWeb.Endpoint, debug_errors: true
