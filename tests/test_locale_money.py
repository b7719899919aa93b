"""Currency inference and the single money formatter (personae.locale.money)."""

from personae.locale.money import format_money, infer_currency


def test_format_money_known_and_unknown_codes():
    assert format_money(1234.5, "GBP") == "£1,234.50"
    assert format_money(1234.5, "USD") == "$1,234.50"
    assert format_money(1000, "JPY") == "¥1,000"
    assert format_money(-3, "XYZ") == "-3.00 XYZ"


def test_uk_header_and_pound_values_give_gbp_with_evidence():
    inf = infer_currency(["Order ID", "Total (GBP)"], ["£12.00", "£1,234.50"])
    assert inf.currency == "GBP"
    assert 'header "Total (GBP)"' in inf.statement()
    assert "£" in inf.statement()


def test_german_euro_values_give_eur():
    inf = infer_currency(["Bestellnummer", "Betrag in €"], ["1.234,50 €", "9,99 €"])
    assert inf.currency == "EUR"


def test_dollar_only_is_undecided_with_config_key_and_default():
    inf = infer_currency(["Total"], ["$12.00", "$5.00"])
    assert inf.currency is None
    text = inf.statement()
    assert "undecided" in text and "[workspace] currency" in text and "USD" in text


def test_dollar_settled_by_country_evidence():
    assert infer_currency(["Total"], ["$12.00"], country="ca").currency == "CAD"


def test_mixed_currency_column_is_reported_per_currency_not_summed():
    inf = infer_currency([], [], currency_column=["EUR", "GBP", "GBP"])
    assert inf.currency is None
    assert inf.per_currency == {"EUR": 1, "GBP": 2}
    assert "not added together" in inf.statement()


def test_phone_region_from_calling_code():
    from personae.locale.phones import infer_phone_region

    region, text = infer_phone_region(["+49 30 901820", "0049 89 1234567", ""])
    assert region == "DE" and "+49 ×2" in text


def test_national_numbers_decide_between_the_regions_seen():
    from personae.locale.phones import infer_phone_region

    # a US CRM with some UK customers written +44: the national numbers are American
    us = ["(212) 555-0147", "212.555.0100", "+44 7700 900789", "0044 7700 900111"]
    assert infer_phone_region(us)[0] == "US"
    # a UK shop: one +44 number proposes GB, the national 07700 ones cannot be US numbers
    uk = ["07700 900123", "07700 900456", "+44 7700 900789"]
    region, text = infer_phone_region(uk)
    assert region == "GB" and "2 of 2 numbers" in text
    # a German shop with a country column: 030 numbers fit DE
    assert infer_phone_region(["030 901820", "089 1234567"], country="DE")[0] == "DE"


def test_national_uk_numbers_need_country_evidence():
    from personae.locale.phones import infer_phone_region

    region, text = infer_phone_region(["07700 900123", "07700 900456"])
    assert region is None and "[identity] default_region" in text and "default used: US" in text
    assert "trunk 0" in text
    assert infer_phone_region(["07700 900123"], country="gb")[0] == "GB"


def test_format_money_whole_from_drops_cents_on_large_amounts_only():
    assert format_money(1234.5, "GBP", whole_from=10) == "£1,234"
    assert format_money(9.5, "GBP", whole_from=10) == "£9.50"
    assert format_money(-5, "AUD") == "-A$5.00"


def test_reporting_currency_setting_then_orders_then_usd(tmp_path):
    import duckdb

    from personae.locale.resolve import reporting_currency

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE raw_orders (order_id VARCHAR, currency VARCHAR)")
    con.execute("INSERT INTO raw_orders VALUES ('1', 'GBP'), ('2', 'gbp')")
    assert reporting_currency(con, "eur")[0] == "EUR"
    code, statement = reporting_currency(con)
    assert code == "GBP" and "GBP" in statement
    con.execute("INSERT INTO raw_orders VALUES ('3', 'EUR')")
    code, statement = reporting_currency(con)
    assert code == "GBP" and "most common of several" in statement  # GBP 2, EUR 1
    con.execute("DROP TABLE raw_orders")
    con.execute("CREATE TABLE raw_orders (order_id VARCHAR)")
    code, statement = reporting_currency(con)
    assert code == "USD" and "set [workspace] currency" in statement
