import Config

# 値の動物園 — every kind of value the evaluator must get right 🐘🦒
alias Zoo.Keepers.Schedule, as: Sched

config :zoo,
  string: "plain",
  escapes: "tab\tnewline\nquote\" backslash\\ unicode \u00e9 \u{1F418} hex \x41 esc \#{not}",
  interpolated: "port-#{4000 + 1}-#{:atom}-#{true}-#{nil}-#{"nested #{"deep"}"}",
  heredoc: """
  line one
    indented two
  last
  """,
  sigil_s: ~s(with "quotes" and #{1 + 1}),
  sigil_big_s: ~S(no #{interp} \n here),
  sigil_w: ~w(alpha beta gamma),
  sigil_wa: ~w(alpha beta)a,
  sigil_wc: ~w(alpha beta)c,
  sigil_w_multiline: ~w"""
  one two
  three
  """,
  sigil_c: ~c(charlist),
  charlist: 'single quoted',
  char: ?A,
  char_escape: ?\n,
  integer: 1_000_000,
  hex: 0xFF,
  octal: 0o755,
  binary: 0b1010,
  leading_zero: 007,
  negative: -42,
  float: 3.14,
  float_exp: 1.0e3,
  negative_float: -0.5,
  true_val: true,
  false_val: false,
  nil_val: nil,
  atom: :simple,
  quoted_atom: :"with space",
  atom_true: :true,
  module: Zoo.Some.Module,
  aliased: Sched,
  aliased_nested: Sched.Weekly,
  erlang_module: :crypto,
  tuple: {:ok, "value", 1},
  nested_tuple: {{1, 2}, {:a, [b: 3]}},
  list: [1, "two", :three, 4.0],
  trailing_comma: [1, 2, 3,],
  empty_list: [],
  empty_map: %{},
  map: %{"string_key" => 1, 2 => "int key", atom_key: :v},
  keyword_of_tuples: [{:a, 1}, {:b, 2}],
  mixed_list: [1, a: 2],
  "quoted key": "qk",
  mfa: {Zoo.Worker, :start_link, [[name: :worker]]},
  system_port: {:system, "PORT"},
  anon: fn x -> x * 2 end,
  capture: &String.upcase/1,
  regex: ~r/^[a-z]+$/i,
  date: ~D[2024-01-31],
  arithmetic: 60 * 60 * 24,
  division: 10 / 4,
  subtraction: 10 - 15,
  concat: "a" <> "b" <> "c",
  list_concat: [1, 2] ++ [3],
  keyword_concat: [a: 1] ++ [b: 2],
  comparison: 1 < 2,
  strict: 1 === 1.0,
  loose: 1 == 1.0,
  boolean_ops: true and not false,
  short_circuit: nil || "fallback",
  and_value: "left" && "right",
  inline_if: if(config_env() == :prod, do: "prod-inline", else: "other-inline"),
  unless_value: (unless config_env() == :dev, do: 10, else: 2),
  block_if:
    (if config_env() == :test do
       :test_value
     else
       :not_test
     end)

config :zoo, twice: 1, twice: 2

# Deep merge, exactly as Config does it.
config :zoo, Zoo.Endpoint, http: [port: 4000, ip: {127, 0, 0, 1}], url: [host: "a"], list: [1, 2]
config :zoo, Zoo.Endpoint, http: [port: 4001], url: "replaced by a string", list: [3]
config :zoo, Zoo.Endpoint, http: [transport_options: [num_acceptors: 10]]
config :zoo, Zoo.Endpoint, http: [transport_options: [max_connections: 100]]
config :zoo, Zoo.Endpoint, empty_then_kw: []
config :zoo, Zoo.Endpoint, empty_then_kw: [a: 1]
config :zoo, Zoo.Endpoint, kw_then_empty: [a: 1]
config :zoo, Zoo.Endpoint, kw_then_empty: []
config :zoo, Zoo.Endpoint, kw_then_list: [a: 1]
config :zoo, Zoo.Endpoint, kw_then_list: [:x, :y]
config :zoo, Zoo.Endpoint, dup: [a: 1, a: 2, b: 0]
config :zoo, Zoo.Endpoint, dup: [a: 3]
config :zoo, Zoo.Endpoint, [explicit_list_form: true]
config :zoo, :scalar_key, 1
config :zoo, :scalar_key, 2
config :zoo, :scalar_then_kw, "string"
config :zoo, :scalar_then_kw, key: :now_keyword
config :zoo, Zoo.Repo, pool_size: 5, after_connect: {Zoo.Repo, :set_path, []}
config :other_app, key: :value
config :zoo, more: :later

# Variables, patterns and access.
base_url = "https://zoo.example"
api = [base: base_url, path: base_url <> "/api", retries: 3]
config :zoo, Zoo.Client, api
config :zoo, Zoo.Client, timeout: api[:retries] * 1000, missing: api[:nope]
{a, b} = {1, 2}
config :zoo, :destructured, a: a, b: b
[first | _] = [10, 20]
config :zoo, :cons_pattern, first
base_url = "https://rebound.example"
config :zoo, :rebound, base_url
settings = %{"mode" => "fast"}
config :zoo, :map_access, settings["mode"]

# Environment references, resolved against the test's fixed environment.
config :zoo, :env,
  port: System.get_env("PORT") |> String.to_integer(),
  host: System.get_env("PHX_HOST"),
  with_default: System.get_env("ZOO_MISSING", "fallback"),
  chain: System.get_env("ZOO_A") || System.get_env("ZOO_B") || "chain-default",
  unset: System.get_env("ZOO_UNSET"),
  atom_level: String.to_atom(System.get_env("ZOO_LEVEL", "warning")),
  integer_default: String.to_integer(System.get_env("ZOO_COUNT") || "7"),
  fetched:
    (case System.fetch_env("ZOO_FETCH") do
       {:ok, v} -> v
       :error -> "from-error-branch"
     end),
  secret: System.fetch_env!("SECRET_KEY_BASE"),
  interpolated_env: "postgres://#{System.get_env("ZOO_DB_HOST", "localhost")}/zoo"
