from pathlib import Path

import pytest

from hubctl.connections_file import ConnectionsFileError, load_connections_file

VALID = """
connections:
  - connection_id: north-brewery
    bemakers:
      secret_name: bemakers-hub/north-brewery/bemakers
    economic:
      secret_name: bemakers-hub/north-brewery/economic
      base_url: ${ECONOMIC_URL}
      layout: 19
      default_payment_terms: 1
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "connections.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_is_loaded(tmp_path: Path) -> None:
    parsed = load_connections_file(_write(tmp_path, VALID), variables={"ECONOMIC_URL": "http://127.0.0.1:1"})
    assert parsed.connections[0].connection_id == "north-brewery"


def test_variables_are_filled_in(tmp_path: Path) -> None:
    parsed = load_connections_file(_write(tmp_path, VALID), variables={"ECONOMIC_URL": "http://127.0.0.1:1"})
    economic = parsed.connections[0].economic
    assert economic is not None and economic.base_url == "http://127.0.0.1:1"


def test_defaults_transfer_confirmed_and_completed_orders(tmp_path: Path) -> None:
    parsed = load_connections_file(_write(tmp_path, VALID), variables={"ECONOMIC_URL": "x"})
    economic = parsed.connections[0].economic
    assert economic is not None and [state.value for state in economic.transfer_states] == [
        "confirmed",
        "completed",
    ]


def test_missing_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConnectionsFileError, match="ECONOMIC_URL"):
        load_connections_file(_write(tmp_path, VALID), variables={})


def test_inline_secret_is_rejected(tmp_path: Path) -> None:
    text = VALID.replace("      layout: 19", "      layout: 19\n      agreement_grant_token: abc")
    with pytest.raises(ConnectionsFileError, match="agreement_grant_token"):
        load_connections_file(_write(tmp_path, text), variables={"ECONOMIC_URL": "x"})


def test_secret_outside_the_prefix_is_rejected(tmp_path: Path) -> None:
    text = VALID.replace("bemakers-hub/north-brewery/economic", "prod/economic")
    with pytest.raises(ConnectionsFileError, match="must start with 'bemakers-hub/'"):
        load_connections_file(_write(tmp_path, text), variables={"ECONOMIC_URL": "x"})


def test_unknown_order_state_is_rejected(tmp_path: Path) -> None:
    text = VALID.replace("      layout: 19", "      layout: 19\n      transfer_states: [shipped]")
    with pytest.raises(ConnectionsFileError, match="transfer_states"):
        load_connections_file(_write(tmp_path, text), variables={"ECONOMIC_URL": "x"})


def test_missing_layout_is_rejected(tmp_path: Path) -> None:
    text = VALID.replace("      layout: 19\n", "")
    with pytest.raises(ConnectionsFileError, match=r"economic\.layout"):
        load_connections_file(_write(tmp_path, text), variables={"ECONOMIC_URL": "x"})


def test_invalid_connection_id_is_rejected(tmp_path: Path) -> None:
    text = VALID.replace("connection_id: north-brewery", "connection_id: North Brewery")
    with pytest.raises(ConnectionsFileError, match="connection_id"):
        load_connections_file(_write(tmp_path, text), variables={"ECONOMIC_URL": "x"})


def test_duplicate_connection_ids_are_rejected(tmp_path: Path) -> None:
    entry = VALID.split("connections:\n", 1)[1]
    with pytest.raises(ConnectionsFileError, match="appear twice"):
        load_connections_file(_write(tmp_path, VALID + entry), variables={"ECONOMIC_URL": "x"})


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConnectionsFileError, match="not valid YAML"):
        load_connections_file(_write(tmp_path, "connections: [\n"), variables={})


def test_customer_rule_without_group_is_rejected(tmp_path: Path) -> None:
    text = VALID.replace("      layout: 19", "      layout: 19\n      customers: {business: {match_on: cvr}}")
    with pytest.raises(ConnectionsFileError, match="customer_group"):
        load_connections_file(_write(tmp_path, text), variables={"ECONOMIC_URL": "x"})


@pytest.mark.parametrize("source", ["ongoing", "zettle"])
def test_product_source_without_its_settings_is_rejected(tmp_path: Path, source: str) -> None:
    text = VALID + f"    products:\n      source: {source}\n"
    expected = f"products.source {source} needs the connection's {source} settings"
    with pytest.raises(ConnectionsFileError, match=expected):
        load_connections_file(_write(tmp_path, text), variables={"ECONOMIC_URL": "x"})


def test_product_source_with_its_settings_is_loaded(tmp_path: Path) -> None:
    text = VALID + "    products:\n      source: economic\n"
    parsed = load_connections_file(_write(tmp_path, text), variables={"ECONOMIC_URL": "x"})
    products = parsed.connections[0].products
    assert products is not None
    assert products.source == "economic"
