# Differential-test helper: evaluates each case's config with Elixir's own Config.Reader
# (env :prod, target :host) and prints one JSON object per case. Run only by
# tests/test_elixir_differential.py, on this repository's fixtures.
defmodule FlylintJSON do
  def encode(nil), do: "null"
  def encode(true), do: "true"
  def encode(false), do: "false"
  def encode(a) when is_atom(a), do: ~s({"atom":) <> string(Atom.to_string(a)) <> "}"
  def encode(i) when is_integer(i), do: Integer.to_string(i)
  def encode(f) when is_float(f), do: :erlang.float_to_binary(f, [:short])

  def encode(b) when is_binary(b) do
    if String.valid?(b), do: string(b), else: ~s({"other":"binary"})
  end

  def encode(l) when is_list(l) do
    if l != [] and Keyword.keyword?(l) do
      pairs = Enum.map(l, fn {k, v} -> "[" <> string(Atom.to_string(k)) <> "," <> encode(v) <> "]" end)
      ~s({"keyword":[) <> Enum.join(pairs, ",") <> "]}"
    else
      if proper_list?(l) do
        ~s({"list":[) <> Enum.map_join(l, ",", &encode/1) <> "]}"
      else
        other(l)
      end
    end
  end

  def encode(t) when is_tuple(t) do
    ~s({"tuple":[) <> Enum.map_join(Tuple.to_list(t), ",", &encode/1) <> "]}"
  end

  def encode(%{__struct__: _} = s), do: other(s)

  def encode(m) when is_map(m) do
    pairs = Enum.map(m, fn {k, v} -> "[" <> encode(k) <> "," <> encode(v) <> "]" end)
    ~s({"map":[) <> Enum.join(pairs, ",") <> "]}"
  end

  def encode(x), do: other(x)

  defp other(x), do: ~s({"other":) <> string(inspect(x)) <> "}"

  defp proper_list?([]), do: true
  defp proper_list?([_ | t]), do: proper_list?(t)
  defp proper_list?(_), do: false

  def string(s) do
    escaped =
      s
      |> String.to_charlist()
      |> Enum.map(fn
        # 34 is the double quote, 92 the backslash
        34 -> <<92, 34>>
        92 -> <<92, 92>>
        c when c < 32 -> <<92, ?u>> <> String.pad_leading(Integer.to_string(c, 16), 4, "0")
        c -> <<c::utf8>>
      end)
      |> Enum.join()

    <<34>> <> escaped <> <<34>>
  end
end

Mix.start()
Mix.env(:prod)
here = File.cwd!()

for dir <- System.argv() do
  File.cd!(dir)

  read = fn rels ->
    found = Enum.filter(rels, &File.exists?(Path.join(dir, &1)))

    if found == [] do
      "null"
    else
      try do
        found
        |> Enum.map(&Config.Reader.read!(Path.join(dir, &1), env: :prod, target: :host))
        |> Enum.reduce(&Config.Reader.merge(&2, &1))
        |> FlylintJSON.encode()
      rescue
        e -> ~s({"error":) <> FlylintJSON.string(Exception.message(e)) <> "}"
      end
    end
  end

  IO.puts(
    ~s({"case":) <> FlylintJSON.string(dir) <>
      ~s(,"compile":) <> read.(["config/config.exs"]) <>
      ~s(,"runtime":) <> read.(["config/runtime.exs", "config/releases.exs"]) <> "}"
  )

  File.cd!(here)
end
