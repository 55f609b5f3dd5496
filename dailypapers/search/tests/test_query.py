from dailypapers.search.query import MAX_QUERY_CHARS, Item, parse


def test_it_reads_words_phrases_exclusions_and_or():
    parsed = parse('graph "neural network" -survey -"large language" vision OR audio')
    assert parsed.groups == [[Item("graph")], [Item("neural network", phrase=True)], [Item("vision"), Item("audio")]]
    assert parsed.excluded == [Item("survey"), Item("large language", phrase=True)]
    assert parsed.text == "graph neural network vision audio"


def test_it_reads_field_restrictions():
    parsed = parse('author:"Jane Doe" cat:cs.CL org:lantern au:smith robots')
    assert parsed.authors == ["Jane Doe", "smith"]
    assert parsed.categories == ["cs.CL"]
    assert parsed.orgs == ["lantern"]
    assert parsed.text == "robots"


def test_it_treats_unknown_fields_and_engine_operators_as_words():
    parsed = parse('title:robots NEAR(a b) AND c* ^2 ~ foo:"bar baz"')
    words = [item.text for item in parsed.positive_items]
    assert words[:2] == ["title robots", "NEAR(a"]
    assert "AND" not in words  # a bare AND is the default anyway
    assert "foo bar baz" in words


def test_it_survives_unbalanced_quotes_control_characters_and_huge_input():
    assert parse('"unbalanced phrase').text == "unbalanced phrase"
    assert parse('a "b" "c').text == "a b c"
    assert parse("robots\x00\x1b[31m\u202egrasp").text == "robots [31m grasp"
    huge = parse("word " * 5000)
    assert len(huge.positive_items) == 32
    assert len(parse("x" * 20000).text) == MAX_QUERY_CHARS


def test_it_ignores_dangling_operators():
    assert parse("OR robots OR").groups == [[Item("robots")]]
    assert parse("- -").groups == [[Item("-")], [Item("-")]]  # text that analyzes to nothing
    assert parse("").groups == [] and parse("   ").text == ""
    assert parse('author:"" cat:').authors == []
