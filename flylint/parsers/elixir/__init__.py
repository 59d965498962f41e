"""Static understanding of the Elixir side of a Phoenix project: config evaluation, endpoint,
router, mix.exs/mix.lock and release scripts. Nothing here runs project code."""
