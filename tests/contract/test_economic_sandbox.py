"""Contract tests of the e-conomic sandbox: each test starts its own loopback sandbox and calls it
with `requests`, exactly as the hub's connector calls restapi.e-conomic.com."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests

from hubctl.sandboxes.economic import (
    DEFAULT_CONTRACT_DIR,
    EconomicSandbox,
    Layout,
    ProductGroup,
    ReferenceData,
    decode_self_link_id,
    encode_self_link_id,
)

APP_SECRET_TOKEN = "test-app-secret-token"
AGREEMENT_GRANT_TOKEN = "test-agreement-grant-token"
TIMEOUT_SECONDS = 5.0


class Api:
    """A `requests` session that sends the sandbox's tokens, like the connector does."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update(
            {"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": AGREEMENT_GRANT_TOKEN}
        )

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base_url + path, params=params, timeout=TIMEOUT_SECONDS)

    def post(self, path: str, body: Any, timeout: float = TIMEOUT_SECONDS) -> requests.Response:
        return self.session.post(self.base_url + path, json=body, timeout=timeout)

    def post_raw(self, path: str, text: str) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        return self.session.post(self.base_url + path, data=text, headers=headers, timeout=TIMEOUT_SECONDS)

    def put(self, url_or_path: str, body: Any) -> requests.Response:
        url = url_or_path if url_or_path.startswith("http") else self.base_url + url_or_path
        return self.session.put(url, json=body, timeout=TIMEOUT_SECONDS)


@pytest.fixture
def sandbox() -> Iterator[EconomicSandbox]:
    with EconomicSandbox(APP_SECRET_TOKEN, AGREEMENT_GRANT_TOKEN, slow_seconds=1.0) as running:
        yield running


@pytest.fixture
def api(sandbox: EconomicSandbox) -> Api:
    return Api(sandbox.base_url)


def customer_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Vinbaren ApS",
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 2},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
        "corporateIdentificationNumber": "12345674",
        "email": "indkob@vinbaren.example",
    }
    body.update(changes)
    return body


def product_body(product_number: str = "IPA-33", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productNumber": product_number,
        "name": "Session IPA 33 cl",
        "productGroup": {"productGroupNumber": 1},
        "unit": {"unitNumber": 1},
        "salesPrice": 79.99,
    }
    body.update(changes)
    return body


def draft_body(customer_number: int, *, lines: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "currency": "DKK",
        "customer": {"customerNumber": customer_number},
        "date": "2024-05-01",
        "layout": {"layoutNumber": 19},
        "paymentTerms": {"paymentTermsNumber": 1},
        "recipient": {"name": "Vinbaren ApS", "vatZone": {"vatZoneNumber": 1}},
        "references": {"other": "bemakers-order-1001"},
        "lines": lines,
    }
    body.update(changes)
    return body


def ipa_line(**changes: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"product": {"productNumber": "IPA-33"}, "quantity": 3, "unitNetPrice": 79.99}
    line.update(changes)
    return line


def rounding_line(**changes: Any) -> dict[str, Any]:
    """Return a line of the product in the VAT-exempt group 3 (see the `exempt_product` fixture)."""
    line: dict[str, Any] = {"product": {"productNumber": "ROUNDING"}, "quantity": 1, "unitNetPrice": 0.01}
    line.update(changes)
    return line


@pytest.fixture
def customer_number(api: Api) -> int:
    response = api.post("/customers", customer_body())
    assert response.status_code == 201, response.text
    number: int = response.json()["customerNumber"]
    return number


@pytest.fixture
def product(api: Api) -> dict[str, Any]:
    response = api.post("/products", product_body())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
def exempt_product(api: Api) -> dict[str, Any]:
    """Create product ROUNDING in product group 3, which the default reference data marks VAT-exempt."""
    body = product_body("ROUNDING", name="Rounding", productGroup={"productGroupNumber": 3}, salesPrice=0.01)
    response = api.post("/products", body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def first_error(body: dict[str, Any], *path: str | int) -> dict[str, Any]:
    """Return the first error at a path of the annotated `errors` object, e.g. ("lines", 0, "unitNetPrice").

    An integer selects the array element with that arrayIndex, as e-conomic's errors do.
    """
    node: Any = body["errors"]
    for segment in path:
        if isinstance(segment, int):
            node = next(element for element in node if element["arrayIndex"] == segment)
        else:
            node = node[segment]
    error: dict[str, Any] = node["errors"][0]
    return error


# ---------------------------------------------------------------------------------------------
# Authentication, content type, routing
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-AppSecretToken": "wrong", "X-AgreementGrantToken": AGREEMENT_GRANT_TOKEN},
        {"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": "wrong"},
        {"X-AppSecretToken": APP_SECRET_TOKEN},
        {},
    ],
    ids=["wrong-app-secret", "wrong-grant", "missing-grant", "no-tokens"],
)
def test_request_with_bad_tokens_is_401(sandbox: EconomicSandbox, headers: dict[str, str]) -> None:
    response = requests.get(sandbox.base_url + "/customers", headers=headers, timeout=TIMEOUT_SECONDS)

    assert response.status_code == 401
    assert response.json()["httpStatusCode"] == 401
    assert "developerHint" in response.json()


def test_post_without_json_content_type_is_415(api: Api) -> None:
    response = api.session.post(
        api.base_url + "/customers",
        data=json.dumps(customer_body()),
        headers={"Content-Type": "text/plain"},
        timeout=TIMEOUT_SECONDS,
    )

    assert response.status_code == 415


def test_unknown_path_is_404(api: Api) -> None:
    assert api.get("/journals").status_code == 404


def test_wrong_method_is_405_with_allow(api: Api) -> None:
    response = api.put("/customers", customer_body())

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


def test_invalid_json_is_400(api: Api) -> None:
    assert api.post_raw("/customers", '{"name": ').status_code == 400


# ---------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------


def test_post_customer_returns_201_with_self(api: Api) -> None:
    response = api.post("/customers", customer_body(customerNumber=1001))
    body = response.json()

    assert response.status_code == 201
    assert body["self"] == f"{api.base_url}/customers/1001"
    assert response.headers["Location"] == body["self"]
    assert body["vatZone"]["self"] == f"{api.base_url}/vat-zones/1"


def test_post_customer_without_number_gets_next_free(api: Api) -> None:
    api.post("/customers", customer_body(customerNumber=41))

    response = api.post("/customers", customer_body())

    assert response.json()["customerNumber"] == 42


def test_post_customer_duplicate_number_is_400(api: Api) -> None:
    api.post("/customers", customer_body(customerNumber=7))

    response = api.post("/customers", customer_body(customerNumber=7))

    assert response.status_code == 400
    assert first_error(response.json(), "customerNumber")["value"] == 7


def test_post_customer_missing_name_mirrors_field(api: Api) -> None:
    body = customer_body()
    del body["name"]

    response = api.post("/customers", body)
    errors = response.json()["errors"]

    assert response.status_code == 400
    assert list(errors) == ["name"]
    assert errors["name"]["errors"][0]["errorCode"]
    assert "name" in errors["name"]["errors"][0]["message"]


def test_post_customer_error_body_has_log_fields(api: Api) -> None:
    body = api.post("/customers", customer_body(name="")).json()

    assert body["httpStatusCode"] == 400
    assert body["logId"]
    assert body["logTime"]
    assert body["message"]
    assert body["developerHint"]


def test_post_customer_null_field_is_400(api: Api) -> None:
    response = api.post("/customers", customer_body(email=None))

    assert response.status_code == 400
    assert "null" in first_error(response.json(), "email")["message"]


def test_post_customer_reference_without_identifier_is_e04500(api: Api) -> None:
    response = api.post("/customers", customer_body(vatZone={}))

    assert first_error(response.json(), "vatZone")["errorCode"] == "E04500"


def test_post_customer_reference_by_self_link_is_accepted(api: Api) -> None:
    body = customer_body(vatZone={"self": "https://restapi.e-conomic.com/vat-zones/2"})

    response = api.post("/customers", body)

    assert response.status_code == 201
    assert response.json()["vatZone"]["vatZoneNumber"] == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customerGroup", {"customerGroupNumber": 9}),
        ("paymentTerms", {"paymentTermsNumber": 99}),
        ("vatZone", {"vatZoneNumber": 5}),
        ("layout", {"layoutNumber": 1}),
        ("currency", "XYZ"),
    ],
)
def test_post_customer_unknown_reference_is_e06000(api: Api, field: str, value: Any) -> None:
    response = api.post("/customers", customer_body(**{field: value}))

    assert response.status_code == 400
    assert first_error(response.json(), field)["errorCode"] == "E06000"


def test_put_customer_replaces_whole_entity(api: Api, customer_number: int) -> None:
    body = customer_body(name="Vinbaren Aarhus ApS")
    del body["email"]

    response = api.put(f"/customers/{customer_number}", body)

    assert response.status_code == 200
    assert response.json()["name"] == "Vinbaren Aarhus ApS"
    assert "email" not in response.json()


def test_put_missing_customer_is_404(api: Api) -> None:
    assert api.put("/customers/555", customer_body()).status_code == 404


def test_get_customer_by_number(api: Api, customer_number: int) -> None:
    response = api.get(f"/customers/{customer_number}")

    assert response.status_code == 200
    assert response.json()["customerNumber"] == customer_number


def test_customers_filter_by_cvr_is_exact(api: Api) -> None:
    api.post("/customers", customer_body(corporateIdentificationNumber="12345674"))
    api.post("/customers", customer_body(corporateIdentificationNumber="87654321"))

    response = api.get("/customers", filter="corporateIdentificationNumber$eq:87654321")
    collection = response.json()["collection"]

    assert [customer["corporateIdentificationNumber"] for customer in collection] == ["87654321"]


def test_customers_filter_on_non_filterable_field_is_400(api: Api) -> None:
    response = api.get("/customers", filter="mobilePhone$eq:12345678")

    assert response.status_code == 400
    assert "mobilePhone" in response.json()["message"]


def test_customers_sort_on_non_sortable_field_is_400(api: Api) -> None:
    assert api.get("/customers", sort="barred").status_code == 400


def test_customers_pagination_links(api: Api) -> None:
    for _ in range(3):
        api.post("/customers", customer_body())

    page = api.get("/customers", pagesize=2).json()
    pagination = page["pagination"]

    assert [customer["customerNumber"] for customer in page["collection"]] == [1, 2]
    assert pagination["results"] == 3
    assert pagination["nextPage"] == f"{api.base_url}/customers?skippages=1&pagesize=2"
    assert pagination["lastPage"] == f"{api.base_url}/customers?skippages=1&pagesize=2"
    assert api.get("/customers", skippages=1, pagesize=2).json()["collection"][0]["customerNumber"] == 3


def test_customers_page_size_above_1000_is_400(api: Api) -> None:
    assert api.get("/customers", pagesize=1001).status_code == 400


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def named_customers(api: Api) -> None:
    for name, city in [("Vinbaren ApS", "Vejle"), ("Ølbaren (Aarhus)", "Aarhus"), ("Star*Bar", "Vejle")]:
        assert api.post("/customers", customer_body(name=name, city=city)).status_code == 201


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("name$eq:VINBAREN APS", [1]),
        ("name$ne:Vinbaren ApS", [2, 3]),
        ("name$like:bar", [1, 2, 3]),
        ("name$like:*aps", [1]),
        ("name$like:Star$*Bar", [3]),
        ("name$eq:Ølbaren $(Aarhus$)", [2]),
        ("customerNumber$gte:2", [2, 3]),
        ("customerNumber$in:[1,3]", [1, 3]),
        ("customerNumber$nin:[1,3]", [2]),
        ("city$eq:Vejle$and:name$like:vin", [1]),
        ("city$eq:Aarhus$or:name$eq:Star*Bar", [2, 3]),
        ("(city$eq:Aarhus$or:city$eq:Vejle)$and:customerNumber$lt:3", [1, 2]),
        ("website$eq:$null:", [1, 2, 3]),
        ("city$ne:$null:", [1, 2, 3]),
    ],
)
def test_customers_filter_expression(
    api: Api, named_customers: None, expression: str, expected: list[int]
) -> None:
    response = api.get("/customers", filter=expression)

    assert response.status_code == 200, response.text
    assert [customer["customerNumber"] for customer in response.json()["collection"]] == expected


@pytest.mark.parametrize(
    "expression",
    ["name$eq:a$b", "name$eq:(x", "name", "(name$eq:x", "name$in:[1]", "customerNumber$eq:abc"],
    ids=["bad-escape", "unescaped-paren", "no-operator", "unclosed-group", "in-on-string", "not-a-number"],
)
def test_customers_invalid_filter_is_400(api: Api, expression: str) -> None:
    assert api.get("/customers", filter=expression).status_code == 400


def test_in_filter_over_200_values_is_400(api: Api) -> None:
    values = ",".join(str(number) for number in range(1, 202))

    assert api.get("/customers", filter=f"customerNumber$in:[{values}]").status_code == 400


# ---------------------------------------------------------------------------------------------
# Products and the self-link encoding
# ---------------------------------------------------------------------------------------------


def test_self_link_encoding_replaces_each_special_character() -> None:
    encoded = encode_self_link_id("<>*%:&/\\_ ?.#+")

    assert encoded == "_0__1__2__3__4__5__6__7__8__9__10__11__12__13_"


def test_self_link_decoding_inverts_encoding() -> None:
    identifier = "My Product_Discount5%/æ_0_"

    assert decode_self_link_id(unquote(encode_self_link_id(identifier))) == identifier


def test_product_number_with_slash_and_underscore_round_trips(api: Api) -> None:
    created = api.post("/products", product_body("BEM/IPA_33")).json()

    fetched = api.get("/products/BEM_6_IPA_8_33")
    updated = api.put(created["self"], product_body("BEM/IPA_33", name="Session IPA 33 cl, 24 pcs"))

    assert created["self"] == f"{api.base_url}/products/BEM_6_IPA_8_33"
    assert fetched.status_code == 200
    assert fetched.json()["productNumber"] == "BEM/IPA_33"
    assert updated.status_code == 200
    assert updated.json()["name"] == "Session IPA 33 cl, 24 pcs"


def test_post_product_duplicate_number_is_400(api: Api, product: dict[str, Any]) -> None:
    response = api.post("/products", product_body())

    assert response.status_code == 400
    assert first_error(response.json(), "productNumber")["value"] == "IPA-33"


def test_post_product_unknown_product_group_is_e06000(api: Api) -> None:
    response = api.post("/products", product_body(productGroup={"productGroupNumber": 9}))

    assert first_error(response.json(), "productGroup")["errorCode"] == "E06000"


def test_get_missing_product_is_404(api: Api) -> None:
    assert api.get("/products/NOPE").status_code == 404


def test_products_filter_by_product_number(api: Api, product: dict[str, Any]) -> None:
    api.post("/products", product_body("APA-33"))

    collection = api.get("/products", filter="productNumber$eq:IPA-33").json()["collection"]

    assert [item["productNumber"] for item in collection] == ["IPA-33"]


# ---------------------------------------------------------------------------------------------
# Draft invoices
# ---------------------------------------------------------------------------------------------


def test_unit_net_price_with_three_decimals_is_e04740(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    # Sent as raw JSON text so the number reaches the sandbox exactly as written.
    text = json.dumps(draft_body(customer_number, lines=[ipa_line(unitNetPrice="PRICE")]))
    response = api.post_raw("/invoices/drafts", text.replace('"PRICE"', "79.992"))
    error = first_error(response.json(), "lines", 0, "unitNetPrice")

    assert response.status_code == 400
    assert response.json()["errors"]["lines"][0]["arrayIndex"] == 0
    assert error["errorCode"] == "E04740"
    assert response.json(parse_float=Decimal)["errors"]["lines"][0]["unitNetPrice"]["errors"][0][
        "value"
    ] == Decimal("79.992")


def test_unit_net_price_with_trailing_zero_is_accepted(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    text = json.dumps(draft_body(customer_number, lines=[ipa_line(unitNetPrice="PRICE")]))

    assert api.post_raw("/invoices/drafts", text.replace('"PRICE"', "79.990")).status_code == 201


def test_unknown_product_on_line_is_e06000(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    lines = [ipa_line(), ipa_line(product={"productNumber": "NO-SUCH-SKU"})]

    response = api.post("/invoices/drafts", draft_body(customer_number, lines=lines))
    error = first_error(response.json(), "lines", 1, "product")

    assert response.status_code == 400
    assert error["errorCode"] == "E06000"
    assert error["value"] == "NO-SUCH-SKU"


def test_line_with_product_without_quantity_is_e04730(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    line = ipa_line()
    del line["quantity"]

    response = api.post("/invoices/drafts", draft_body(customer_number, lines=[line]))

    assert first_error(response.json(), "lines", 0, "quantity")["errorCode"] == "E04730"


def test_draft_for_unknown_customer_is_e06000(api: Api, product: dict[str, Any]) -> None:
    response = api.post("/invoices/drafts", draft_body(987987, lines=[ipa_line()]))

    assert first_error(response.json(), "customer")["errorCode"] == "E06000"


def test_draft_missing_recipient_vat_zone_mirrors_nested_field(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    body = draft_body(customer_number, lines=[ipa_line()], recipient={"name": "Vinbaren ApS"})

    response = api.post("/invoices/drafts", body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["recipient"]
    assert list(response.json()["errors"]["recipient"]) == ["vatZone"]


def test_draft_with_invalid_date_is_400(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    response = api.post(
        "/invoices/drafts", draft_body(customer_number, lines=[ipa_line()], date="01-05-2024")
    )

    assert first_error(response.json(), "date")["value"] == "01-05-2024"


def test_draft_null_in_nested_field_is_400(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    body = draft_body(customer_number, lines=[ipa_line()], notes={"heading": None})

    response = api.post("/invoices/drafts", body)

    assert response.status_code == 400
    assert "null" in first_error(response.json(), "notes", "heading")["message"]


def test_post_draft_numbers_from_one(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    first = api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()]))
    second = api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()]))

    assert first.json()["draftInvoiceNumber"] == 1
    assert second.json()["draftInvoiceNumber"] == 2
    assert second.headers["Location"] == f"{api.base_url}/invoices/drafts/2"


def test_draft_totals_in_vat_zone_1(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    response = api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()]))
    draft = response.json(parse_float=Decimal)

    assert draft["netAmount"] == Decimal("239.97")
    assert draft["vatAmount"] == Decimal("59.99")
    assert draft["grossAmount"] == Decimal("299.96")
    assert draft["lines"][0]["totalNetAmount"] == Decimal("239.97")


def test_draft_totals_with_discount_round_half_up(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    line = ipa_line(quantity=1, unitNetPrice=10.05, discountPercentage=50)

    draft = api.post("/invoices/drafts", draft_body(customer_number, lines=[line])).json(parse_float=Decimal)

    assert draft["netAmount"] == Decimal("5.03")


def test_draft_in_eu_vat_zone_has_no_vat(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    recipient = {"name": "Weinhaus GmbH", "vatZone": {"vatZoneNumber": 2}}

    body = draft_body(customer_number, lines=[ipa_line()], recipient=recipient)
    draft = api.post("/invoices/drafts", body).json(parse_float=Decimal)

    assert draft["vatAmount"] == Decimal("0.00")
    assert draft["grossAmount"] == Decimal("239.97")


def test_filter_references_other_finds_the_draft(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    for reference in ["bemakers-order-1000", "bemakers-order-1001", "bemakers-order-10011"]:
        body = draft_body(customer_number, lines=[ipa_line()], references={"other": reference})
        api.post("/invoices/drafts", body)

    response = api.get("/invoices/drafts", filter="references.other$eq:bemakers-order-1001")
    collection = response.json()["collection"]

    assert response.status_code == 200
    assert [draft["draftInvoiceNumber"] for draft in collection] == [2]


def test_filter_references_other_with_escaped_characters(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    reference = "order (42), $5 [test]"
    api.post(
        "/invoices/drafts", draft_body(customer_number, lines=[ipa_line()], references={"other": reference})
    )

    escaped = "order $(42$)$, $$5 $[test$]"
    collection = api.get("/invoices/drafts", filter=f"references.other$eq:{escaped}").json()["collection"]

    assert [draft["references"]["other"] for draft in collection] == [reference]


def drafts_referencing(api: Api, path: str, reference: str) -> list[int]:
    collection = api.get(path, filter=f"references.other$eq:{reference}").json()["collection"]
    return [draft.get("draftInvoiceNumber") or draft["bookedInvoiceNumber"] for draft in collection]


def test_reference_lookup_follows_delete_and_booking(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    for reference in ["order-a", "order-b"]:
        api.post(
            "/invoices/drafts",
            draft_body(customer_number, lines=[ipa_line()], references={"other": reference}),
        )

    api.session.delete(f"{api.base_url}/invoices/drafts/1", timeout=TIMEOUT_SECONDS)
    api.post("/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": 2}})

    assert drafts_referencing(api, "/invoices/drafts", "order-a") == []
    assert drafts_referencing(api, "/invoices/drafts", "order-b") == []
    assert drafts_referencing(api, "/invoices/booked", "ORDER-B") == [1]


def test_reference_lookup_follows_put(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    body = draft_body(customer_number, lines=[ipa_line()], references={"other": "order-old"})
    api.post("/invoices/drafts", body)

    api.put("/invoices/drafts/1", {**body, "references": {"other": "order-new"}})

    assert drafts_referencing(api, "/invoices/drafts", "order-old") == []
    assert drafts_referencing(api, "/invoices/drafts", "order-new") == [1]


def test_customer_email_lookup_follows_put(api: Api, customer_number: int) -> None:
    api.put(f"/customers/{customer_number}", customer_body(email="new@vinbaren.example"))

    old = api.get("/customers", filter="email$eq:indkob@vinbaren.example").json()["collection"]
    new = api.get("/customers", filter="email$eq:NEW@vinbaren.example").json()["collection"]

    assert old == []
    assert [customer["customerNumber"] for customer in new] == [customer_number]


def test_products_or_filter_returns_each_listed_product(api: Api) -> None:
    for number in ["C-3", "A-1", "B-2", "D-4"]:
        api.post("/products", product_body(number))

    response = api.get(
        "/products", filter="productNumber$eq:D-4$or:productNumber$eq:A-1$or:productNumber$eq:X"
    )
    body = response.json()

    assert response.status_code == 200
    assert [product["productNumber"] for product in body["collection"]] == ["A-1", "D-4"]
    assert body["pagination"]["results"] == 2
    assert body["pagination"]["resultsWithoutFilter"] == 4


def test_indexed_and_unindexed_filters_agree(api: Api) -> None:
    for index, city in enumerate(["Vejle", "Aarhus", "Vejle"]):
        api.post("/customers", customer_body(email=f"buyer{index}@example.com", city=city))

    indexed = api.get("/customers", filter="email$eq:buyer2@example.com$and:city$eq:vejle").json()
    scanned = api.get("/customers", filter="city$eq:vejle$and:name$like:Vinbaren").json()

    assert [customer["customerNumber"] for customer in indexed["collection"]] == [3]
    assert [customer["customerNumber"] for customer in scanned["collection"]] == [1, 3]


def test_drafts_filter_on_non_filterable_field_is_400(api: Api) -> None:
    assert api.get("/invoices/drafts", filter="lines.description$eq:IPA").status_code == 400


def test_put_draft_recomputes_totals(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    created = api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()])).json()

    body = draft_body(customer_number, lines=[ipa_line(quantity=1)])
    response = api.put(created["self"], body)
    updated = response.json(parse_float=Decimal)

    assert response.status_code == 200
    assert updated["netAmount"] == Decimal("79.99")
    assert updated["vatAmount"] == Decimal("20.00")
    assert updated["grossAmount"] == Decimal("99.99")


def test_put_draft_keeps_references(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    created = api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()])).json()

    body = draft_body(
        customer_number, lines=[ipa_line(quantity=1)], references={"other": "bemakers-order-2002"}
    )
    response = api.put(created["self"], body)
    found = api.get("/invoices/drafts", filter="references.other$eq:bemakers-order-2002").json()["collection"]

    assert response.json()["references"] == {"other": "bemakers-order-2002"}
    assert [draft["draftInvoiceNumber"] for draft in found] == [created["draftInvoiceNumber"]]


def test_put_draft_layout_without_identifier_is_e04500(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    created = api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()])).json()

    response = api.put(created["self"], draft_body(customer_number, lines=[ipa_line()], layout={}))

    assert first_error(response.json(), "layout")["errorCode"] == "E04500"


def test_put_draft_unknown_layout_is_e06000(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    created = api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()])).json()

    body = draft_body(customer_number, lines=[ipa_line()], layout={"layoutNumber": 3})
    response = api.put(created["self"], body)

    assert first_error(response.json(), "layout")["errorCode"] == "E06000"


def test_delete_draft_removes_it(
    api: Api, sandbox: EconomicSandbox, customer_number: int, product: dict[str, Any]
) -> None:
    created = api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()])).json()

    response = api.session.delete(created["self"], timeout=TIMEOUT_SECONDS)

    assert response.status_code == 204
    assert sandbox.draft_invoices == {}
    assert api.get("/invoices/drafts/1").status_code == 404


def test_delete_draft_twice_is_404(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    created = api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()])).json()
    api.session.delete(created["self"], timeout=TIMEOUT_SECONDS)

    response = api.session.delete(created["self"], timeout=TIMEOUT_SECONDS)

    assert response.status_code == 404
    assert response.json()["httpStatusCode"] == 404


def test_delete_missing_draft_is_404(api: Api) -> None:
    response = api.session.delete(f"{api.base_url}/invoices/drafts/77", timeout=TIMEOUT_SECONDS)

    assert response.status_code == 404


# ---------------------------------------------------------------------------------------------
# VAT per product group
# ---------------------------------------------------------------------------------------------


def test_exempt_group_line_adds_no_vat(
    api: Api, customer_number: int, product: dict[str, Any], exempt_product: dict[str, Any]
) -> None:
    body = draft_body(customer_number, lines=[ipa_line(), rounding_line()])

    response = api.post("/invoices/drafts", body)
    draft = response.json(parse_float=Decimal)

    assert response.status_code == 201, response.text
    assert draft["netAmount"] == Decimal("239.98")
    assert draft["vatAmount"] == Decimal("59.99")
    assert draft["grossAmount"] == Decimal("299.97")


def test_exempt_group_line_has_zero_vat(
    api: Api, customer_number: int, product: dict[str, Any], exempt_product: dict[str, Any]
) -> None:
    body = draft_body(customer_number, lines=[ipa_line(), rounding_line()])

    lines = api.post("/invoices/drafts", body).json(parse_float=Decimal)["lines"]

    assert lines[0]["vatRate"] == 25
    assert lines[0]["vatAmount"] == Decimal("59.99")
    assert lines[1]["totalNetAmount"] == Decimal("0.01")
    assert lines[1]["vatRate"] == 0
    assert lines[1]["vatAmount"] == Decimal("0.00")


def test_exempt_group_vat_rounds_once(
    api: Api, customer_number: int, product: dict[str, Any], exempt_product: dict[str, Any]
) -> None:
    # Each taxable line of 0.02 has 0.005 VAT, which rounds half up to 0.01, so summing the line VAT
    # would give 0.02. The invoice rounds once, on the summed taxable amount: 0.04 x 25 % = 0.01.
    lines = [
        ipa_line(quantity=1, unitNetPrice=0.02),
        ipa_line(quantity=1, unitNetPrice=0.02),
        rounding_line(),
    ]

    draft = api.post("/invoices/drafts", draft_body(customer_number, lines=lines)).json(parse_float=Decimal)

    assert draft["netAmount"] == Decimal("0.05")
    assert draft["vatAmount"] == Decimal("0.01")
    assert draft["grossAmount"] == Decimal("0.06")


def test_line_without_product_is_taxable(api: Api, customer_number: int) -> None:
    line = {"description": "Freight", "quantity": 1, "unitNetPrice": 100}

    draft = api.post("/invoices/drafts", draft_body(customer_number, lines=[line])).json(parse_float=Decimal)

    assert draft["vatAmount"] == Decimal("25.00")
    assert draft["grossAmount"] == Decimal("125.00")


def test_only_exempt_lines_have_no_vat(
    api: Api, customer_number: int, exempt_product: dict[str, Any]
) -> None:
    body = draft_body(customer_number, lines=[rounding_line(quantity=2, unitNetPrice=50)])

    draft = api.post("/invoices/drafts", body).json(parse_float=Decimal)

    assert draft["netAmount"] == Decimal("100.00")
    assert draft["vatAmount"] == Decimal("0.00")
    assert draft["grossAmount"] == Decimal("100.00")


def test_product_group_resource_omits_vat_exempt(api: Api) -> None:
    group = api.get("/product-groups/3").json()

    assert group["name"] == "No VAT (rounding, exempt shipping)"
    assert set(group) == {"productGroupNumber", "name", "self"}


def test_seeded_group_can_be_vat_exempt(sandbox: EconomicSandbox, api: Api, customer_number: int) -> None:
    groups = (ProductGroup(1, "Beverages", vat_exempt=True),)
    sandbox.seed(reference_data=ReferenceData(product_groups=groups), products=[product_body()])

    draft = api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()])).json(
        parse_float=Decimal
    )

    assert draft["vatAmount"] == Decimal("0.00")


# ---------------------------------------------------------------------------------------------
# Draft orders
# ---------------------------------------------------------------------------------------------


def test_post_draft_order_returns_201_with_self(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    response = api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()]))
    order = response.json()

    assert response.status_code == 201, response.text
    assert order["orderNumber"] == 1
    assert order["self"] == f"{api.base_url}/orders/drafts/1"
    assert response.headers["Location"] == order["self"]
    assert "draftInvoiceNumber" not in order


def test_draft_order_numbers_separate_from_invoices(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()]))
    api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()]))

    second = api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()]))

    assert second.json()["orderNumber"] == 2


def test_draft_order_totals_match_invoice(
    api: Api, customer_number: int, product: dict[str, Any], exempt_product: dict[str, Any]
) -> None:
    body = draft_body(customer_number, lines=[ipa_line(), rounding_line()])

    order = api.post("/orders/drafts", body).json(parse_float=Decimal)

    assert order["netAmount"] == Decimal("239.98")
    assert order["vatAmount"] == Decimal("59.99")
    assert order["grossAmount"] == Decimal("299.97")
    assert order["grossAmountInBaseCurrency"] == Decimal("299.97")
    assert order["lines"][1]["vatAmount"] == Decimal("0.00")


def test_get_draft_order_by_number(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()]))

    response = api.get("/orders/drafts/1")

    assert response.status_code == 200
    assert response.json()["references"]["other"] == "bemakers-order-1001"


def test_get_missing_draft_order_is_404(api: Api) -> None:
    assert api.get("/orders/drafts/5").status_code == 404


def test_draft_orders_filter_references_other(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    for reference in ["bemakers-order-1000", "bemakers-order-1001", "bemakers-order-10011"]:
        body = draft_body(customer_number, lines=[ipa_line()], references={"other": reference})
        api.post("/orders/drafts", body)

    response = api.get("/orders/drafts", filter="references.other$eq:bemakers-order-1001")
    collection = response.json()["collection"]

    assert response.status_code == 200
    assert [order["orderNumber"] for order in collection] == [2]


def test_draft_orders_sort_descending(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    for _ in range(2):
        api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()]))

    collection = api.get("/orders/drafts", sort="-orderNumber").json()["collection"]

    assert [order["orderNumber"] for order in collection] == [2, 1]


def test_draft_orders_unfilterable_field_is_400(api: Api) -> None:
    assert api.get("/orders/drafts", filter="lines.description$eq:IPA").status_code == 400


def test_put_draft_order_recomputes_totals(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    created = api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()])).json()

    body = draft_body(
        customer_number, lines=[ipa_line(quantity=1)], references={"other": "bemakers-order-2002"}
    )
    response = api.put(created["self"], body)
    updated = response.json(parse_float=Decimal)

    assert response.status_code == 200, response.text
    assert updated["orderNumber"] == 1
    assert updated["netAmount"] == Decimal("79.99")
    assert updated["vatAmount"] == Decimal("20.00")
    assert updated["grossAmount"] == Decimal("99.99")
    assert updated["references"] == {"other": "bemakers-order-2002"}


def test_put_draft_order_other_number_is_400(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    created = api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()])).json()

    response = api.put(created["self"], draft_body(customer_number, lines=[ipa_line()], orderNumber=9))

    assert response.status_code == 400
    assert first_error(response.json(), "orderNumber")["value"] == 9


def test_put_missing_draft_order_is_404(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    response = api.put("/orders/drafts/3", draft_body(customer_number, lines=[ipa_line()]))

    assert response.status_code == 404


def test_delete_draft_order_removes_it(
    api: Api, sandbox: EconomicSandbox, customer_number: int, product: dict[str, Any]
) -> None:
    created = api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()])).json()

    response = api.session.delete(created["self"], timeout=TIMEOUT_SECONDS)

    assert response.status_code == 204
    assert sandbox.draft_orders == {}
    assert api.get("/orders/drafts/1").status_code == 404


def test_delete_draft_order_twice_is_404(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    created = api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()])).json()
    api.session.delete(created["self"], timeout=TIMEOUT_SECONDS)

    response = api.session.delete(created["self"], timeout=TIMEOUT_SECONDS)

    assert response.status_code == 404


def test_draft_order_bad_price_is_e04740(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    # Sent as raw JSON text so the number reaches the sandbox exactly as written.
    text = json.dumps(draft_body(customer_number, lines=[ipa_line(unitNetPrice="PRICE")]))
    response = api.post_raw("/orders/drafts", text.replace('"PRICE"', "79.992"))

    assert response.status_code == 400
    assert first_error(response.json(), "lines", 0, "unitNetPrice")["errorCode"] == "E04740"


def test_draft_order_line_without_quantity_is_e04730(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    line = ipa_line()
    del line["quantity"]

    response = api.post("/orders/drafts", draft_body(customer_number, lines=[line]))

    assert first_error(response.json(), "lines", 0, "quantity")["errorCode"] == "E04730"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer", {"customerNumber": 987987}),
        ("layout", {"layoutNumber": 3}),
        ("paymentTerms", {"paymentTermsNumber": 99}),
        ("currency", "XYZ"),
    ],
)
def test_draft_order_unknown_reference_is_e06000(
    api: Api, customer_number: int, product: dict[str, Any], field: str, value: Any
) -> None:
    response = api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()], **{field: value}))

    assert response.status_code == 400
    assert first_error(response.json(), field)["errorCode"] == "E06000"


def test_draft_order_unknown_product_is_e06000(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    lines = [ipa_line(product={"productNumber": "NO-SUCH-SKU"})]

    response = api.post("/orders/drafts", draft_body(customer_number, lines=lines))

    assert first_error(response.json(), "lines", 0, "product")["errorCode"] == "E06000"


def test_draft_order_layout_without_number_is_e04500(
    api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    response = api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()], layout={}))

    assert first_error(response.json(), "layout")["errorCode"] == "E04500"


def test_draft_order_customer_by_self_link(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    customer = {"self": f"{api.base_url}/customers/{customer_number}"}

    response = api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()], customer=customer))

    assert response.status_code == 201, response.text
    assert response.json()["customer"]["customerNumber"] == customer_number


def test_draft_order_null_field_is_400(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    body = draft_body(customer_number, lines=[ipa_line()], references={"other": None})

    response = api.post("/orders/drafts", body)

    assert response.status_code == 400
    assert "null" in first_error(response.json(), "references", "other")["message"]


def test_draft_order_missing_layout_is_400(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    body = draft_body(customer_number, lines=[ipa_line()])
    del body["layout"]

    response = api.post("/orders/drafts", body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["layout"]


def test_draft_orders_property_returns_copies(
    sandbox: EconomicSandbox, api: Api, customer_number: int, product: dict[str, Any]
) -> None:
    api.post("/orders/drafts", draft_body(customer_number, lines=[ipa_line()]))

    sandbox.draft_orders[1]["references"]["other"] = "changed"

    assert sandbox.draft_orders[1]["references"]["other"] == "bemakers-order-1001"


# ---------------------------------------------------------------------------------------------
# Booking
# ---------------------------------------------------------------------------------------------


def test_booking_moves_draft_to_booked_with_totals(
    api: Api, sandbox: EconomicSandbox, customer_number: int, product: dict[str, Any]
) -> None:
    api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()]))

    response = api.post("/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": 1}})
    booked = response.json(parse_float=Decimal)

    assert response.status_code == 201
    assert booked["bookedInvoiceNumber"] == 1
    assert response.headers["Location"] == f"{api.base_url}/invoices/booked/1"
    assert booked["netAmount"] == Decimal("239.97")
    assert booked["vatAmount"] == Decimal("59.99")
    assert booked["grossAmount"] == Decimal("299.96")
    assert booked["references"]["other"] == "bemakers-order-1001"
    assert sandbox.draft_invoices == {}
    assert list(sandbox.booked_invoices) == [1]


def test_booking_with_number_uses_it(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()]))

    response = api.post(
        "/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": 1}, "bookWithNumber": 20001}
    )

    assert response.json()["bookedInvoiceNumber"] == 20001


def test_booking_same_draft_twice_is_e06000(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()]))
    api.post("/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": 1}})

    response = api.post("/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": 1}})

    assert response.status_code == 400
    assert first_error(response.json(), "draftInvoice")["errorCode"] == "E06000"


def test_booking_without_draft_invoice_is_400(api: Api) -> None:
    response = api.post("/invoices/booked", {"bookWithNumber": 5})

    assert response.status_code == 400
    assert "draftInvoice" in response.json()["errors"]


def test_booked_filter_references_other(api: Api, customer_number: int, product: dict[str, Any]) -> None:
    api.post("/invoices/drafts", draft_body(customer_number, lines=[ipa_line()]))
    api.post("/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": 1}})

    collection = api.get("/invoices/booked", filter="references.other$eq:bemakers-order-1001").json()[
        "collection"
    ]

    assert [invoice["bookedInvoiceNumber"] for invoice in collection] == [1]


# ---------------------------------------------------------------------------------------------
# Reference data and seeding
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "key", "expected"),
    [
        ("/vat-zones", "vatZoneNumber", [1, 2, 3, 4]),
        ("/payment-terms", "paymentTermsNumber", [1, 2, 3, 4, 5]),
        ("/layouts", "layoutNumber", [19]),
        ("/customer-groups", "customerGroupNumber", [1, 2, 3]),
        ("/product-groups", "productGroupNumber", [1, 2, 3]),
        ("/units", "unitNumber", [1]),
        ("/currencies", "code", ["DKK", "EUR", "GBP", "NOK", "SEK", "USD"]),
    ],
)
def test_reference_collection_lists_seed(api: Api, path: str, key: str, expected: list[Any]) -> None:
    response = api.get(path)

    assert response.status_code == 200
    assert [item[key] for item in response.json()["collection"]] == expected


def test_payment_terms_carry_type(api: Api) -> None:
    terms = api.get("/payment-terms/5").json()

    assert terms["paymentTermsType"] == "prepaid"


def test_seed_replaces_reference_data(sandbox: EconomicSandbox, api: Api) -> None:
    sandbox.seed(reference_data=ReferenceData(layouts=(Layout(21, "Bemakers"),)))

    assert [layout["layoutNumber"] for layout in api.get("/layouts").json()["collection"]] == [21]


def test_seed_adds_existing_customers(sandbox: EconomicSandbox, api: Api) -> None:
    sandbox.seed(customers=[customer_body(customerNumber=500)])

    assert api.get("/customers/500").status_code == 200


def test_seed_rejects_invalid_customer(sandbox: EconomicSandbox) -> None:
    with pytest.raises(ValueError, match="customerGroup"):
        sandbox.seed(customers=[customer_body(customerGroup={"customerGroupNumber": 77})])


def test_sandbox_reads_contract_from_tests_folder() -> None:
    expected = Path(__file__).parent / "economic"

    assert expected == DEFAULT_CONTRACT_DIR


# ---------------------------------------------------------------------------------------------
# Inspection
# ---------------------------------------------------------------------------------------------


def test_requests_are_recorded_without_headers(api: Api, sandbox: EconomicSandbox) -> None:
    api.post("/customers", customer_body())
    api.get("/customers", filter="name$eq:x")

    recorded = sandbox.requests

    assert [(item.method, item.path, item.status) for item in recorded] == [
        ("POST", "/customers", 201),
        ("GET", "/customers", 200),
    ]
    assert recorded[0].body["name"] == "Vinbaren ApS"
    assert recorded[1].query == {"filter": ["name$eq:x"]}
    assert not hasattr(recorded[0], "headers")


def test_dump_writes_one_file_per_request(api: Api, sandbox: EconomicSandbox, tmp_path: Path) -> None:
    api.post("/customers", customer_body())
    api.get("/customers/1")

    written = sandbox.dump(tmp_path / "economic")

    assert [path.name for path in written] == ["0001-POST-customers.json", "0002-GET-customers_1.json"]
    assert json.loads(written[0].read_text())["body"]["currency"] == "DKK"
    assert APP_SECRET_TOKEN not in written[0].read_text()


def test_sandbox_writes_nothing_to_stderr(api: Api, capfd: pytest.CaptureFixture[str]) -> None:
    api.post("/customers", customer_body())
    api.get("/nowhere")

    assert capfd.readouterr().err == ""


def test_state_properties_return_copies(sandbox: EconomicSandbox, customer_number: int) -> None:
    sandbox.customers[customer_number]["name"] = "changed"

    assert sandbox.customers[customer_number]["name"] == "Vinbaren ApS"


# ---------------------------------------------------------------------------------------------
# Fault injection
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "status"), [("http_500", 500), ("http_503", 503)])
def test_status_fault_returns_status_without_writing(
    api: Api, sandbox: EconomicSandbox, kind: Any, status: int
) -> None:
    sandbox.inject_fault("POST", "/customers", kind)

    response = api.post("/customers", customer_body())

    assert response.status_code == status
    assert response.json()["httpStatusCode"] == status
    assert sandbox.customers == {}


def test_http_429_fault_sends_retry_after(api: Api, sandbox: EconomicSandbox) -> None:
    sandbox.inject_fault("GET", "/customers", "http_429", retry_after=7)

    response = api.get("/customers")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_fault_fires_times_then_stops(api: Api, sandbox: EconomicSandbox) -> None:
    sandbox.inject_fault("GET", "/customers", "http_503", times=2)

    statuses = [api.get("/customers").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_fault_matches_method_and_path_prefix(api: Api, sandbox: EconomicSandbox) -> None:
    sandbox.inject_fault("POST", "/invoices", "http_500")

    assert api.get("/invoices/drafts").status_code == 200
    assert api.post("/customers", customer_body()).status_code == 201
    assert api.post("/invoices/booked", {}).status_code == 500


def test_accepted_then_500_performs_the_write(api: Api, sandbox: EconomicSandbox) -> None:
    sandbox.inject_fault("POST", "/customers", "accepted_then_500")

    response = api.post("/customers", customer_body())

    assert response.status_code == 500
    assert list(sandbox.customers) == [1]


def test_timeout_fault_performs_write_then_stalls(api: Api, sandbox: EconomicSandbox) -> None:
    sandbox.inject_fault("POST", "/customers", "timeout")

    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post("/customers", customer_body(), timeout=0.2)

    assert list(sandbox.customers) == [1]
    assert api.post("/customers", customer_body()).status_code == 201


def test_unknown_fault_kind_is_rejected(sandbox: EconomicSandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sandbox.inject_fault("GET", "/", "http_418")  # type: ignore[arg-type]
