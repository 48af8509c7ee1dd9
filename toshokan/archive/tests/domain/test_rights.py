import pytest

from toshokan.archive.domain.rights import KNOWN, RightsError, canonical_rights


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("http://creativecommons.org/licenses/by/4.0/", "http://creativecommons.org/licenses/by/4.0/"),
        (
            "https://creativecommons.org/licenses/by-nc-sa/4.0",
            "http://creativecommons.org/licenses/by-nc-sa/4.0/",
        ),
        ("https://rightsstatements.org/vocab/InC/1.0/", "http://rightsstatements.org/vocab/InC/1.0/"),
        (
            " http://creativecommons.org/publicdomain/mark/1.0/ ",
            "http://creativecommons.org/publicdomain/mark/1.0/",
        ),
    ],
)
def test_known_rights_uris_are_written_in_their_canonical_form(given, canonical):
    assert canonical_rights(given) == canonical


@pytest.mark.parametrize(
    "given",
    [
        "",
        "CC BY",
        "http://creativecommons.org/licenses/by/5.0/",
        "http://rightsstatements.org/vocab/InC/2.0/",
        "https://example.org/my-licence",
        "http://rightsstatements.org/page/InC/1.0/",  # the human page, not the statement's URI
    ],
)
def test_anything_else_is_refused_with_the_accepted_forms(given):
    with pytest.raises(RightsError, match=r"RightsStatements\.org"):
        canonical_rights(given)


def test_the_known_list_has_every_rightsstatements_org_statement_and_the_cc_licences():
    codes = {r.code for r in KNOWN}
    assert len([c for c in codes if not c.startswith(("CC", "PDM"))]) == 12
    assert {"CC0 1.0", "PDM 1.0", "CC BY 4.0", "CC BY-NC-ND 4.0"} <= codes
