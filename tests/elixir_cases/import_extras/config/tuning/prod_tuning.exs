import Config

config :ledger, Ledger.Repo, pool_size: 20, queue_target: 500, queue_interval: 5_000
config :ledger, LedgerWeb.Endpoint, http: [transport_options: [num_acceptors: 50]]
