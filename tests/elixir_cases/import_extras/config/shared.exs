import Config

config :ledger, Ledger.Repo,
  migration_primary_key: [type: :binary_id],
  migration_timestamps: [type: :utc_datetime_usec]

config :ledger, Oban,
  repo: Ledger.Repo,
  queues: [default: 10, mailers: 5, imports: [limit: 2, paused: false]],
  plugins: [{Oban.Plugins.Pruner, max_age: 7 * 24 * 60 * 60}, Oban.Plugins.Lifeline]
