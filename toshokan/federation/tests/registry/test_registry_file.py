"""The registry file (TOML): a good file becomes the frozen Registry; each mistake is reported with the
system and branch it is in and the field at fault."""

from __future__ import annotations

import textwrap

import pytest

from toshokan.federation.domain.registry import BranchSpec, Category, Connector
from toshokan.federation.domain.registry_file import (
    RegistryError,
    load_registry_file,
    parse_geocode,
    parse_registry,
)

GOOD = textwrap.dedent(
    """
    [check]
    deadline_s = 8

    [[system]]
    systemid = "Tokyo_Demo"
    name = "デモ市立図書館"
    pref = "東京都"
    city = "千代田区"
    connector = "local"
    endpoint = ""
    timeout_s = 5
    options = {}
      [[system.branch]]
      libkey = "中央"
      formal = "デモ市立中央図書館"
      short = "中央"
      address = "東京都千代田区丸の内1-1"
      geocode = "139.767,35.681"
      category = "MEDIUM"
      branch = "central"

    [[system]]
    systemid = "Zebra_Univ"
    name = "ゼブラ大学図書館"
    pref = "大阪府"
    connector = "sru"
    endpoint = "http://127.0.0.1:9999/zebra"
    timeout_s = 2.5
    options = {version = "1.2", isbn_index = "bath.isbn"}
    reserve_url = "https://opac.example.jp/search?isbn={isbn}"
    attribution = "© OpenStreetMap contributors, ODbL 1.0"
      [[system.branch]]
      libkey = "本館"
      formal = "ゼブラ大学附属図書館"
      postcode = "565-0871"
      tel = "06-0000-0000"
      isil = "JP-1000031"
      url = "https://lib.example.jp/"
      city = "吹田市"
      geocode = [135.5, 34.8]
      category = "UNIV"
    """
)


def test_a_good_file_becomes_the_registry_with_every_field():
    registry = parse_registry(GOOD, source="demo.toml")
    assert registry.check.deadline_s == 8.0
    assert [s.systemid for s in registry.systems] == ["Tokyo_Demo", "Zebra_Univ"]
    demo, zebra = registry.systems
    assert demo.connector is Connector.LOCAL and demo.endpoint == "" and demo.source == "demo.toml"
    assert demo.branches == (
        BranchSpec(
            libkey="中央",
            formal="デモ市立中央図書館",
            short="中央",
            address="東京都千代田区丸の内1-1",
            geocode=(139.767, 35.681),
            category=Category.MEDIUM,
            branch="central",
        ),
    )
    assert zebra.connector is Connector.SRU and zebra.timeout_s == 2.5
    assert zebra.options == {"version": "1.2", "isbn_index": "bath.isbn"}
    assert zebra.reserve_url.endswith("{isbn}") and zebra.attribution.startswith("© OpenStreetMap")
    (main,) = zebra.branches
    assert (main.short, main.postcode, main.isil, main.city, main.geocode, main.category) == (
        "ゼブラ大学附属図書館",  # short defaults to the formal name
        "565-0871",
        "JP-1000031",
        "吹田市",
        (135.5, 34.8),
        Category.UNIV,
    )
    assert registry.system("Zebra_Univ") is zebra and registry.system("nope") is None


def test_an_empty_file_is_an_empty_registry_with_the_default_deadline():
    registry = parse_registry("")
    assert registry.systems == () and registry.check.deadline_s == 10.0


def system(
    extra: str = "", branch: str = "", *, connector: str = "calil", systemid: str = "Osaka_Suita"
) -> str:
    return textwrap.dedent(
        f"""
        [[system]]
        systemid = "{systemid}"
        name = "吹田市"
        connector = "{connector}"
        {extra}
          [[system.branch]]
          libkey = "中央"
          formal = "吹田市立中央図書館"
          {branch}
        """
    )


ERRORS = [
    ("not toml", "[[system]\n", "not valid TOML"),
    (
        "duplicate systemid",
        system() + system(),
        "system 2 (Osaka_Suita), systemid: 'Osaka_Suita' is already used by system 1",
    ),
    (
        "duplicate libkey",
        system() + '  [[system.branch]]\n  libkey = "中央"\n  formal = "二つ目"\n',
        "system 1 (Osaka_Suita), branch 2 (中央), libkey: '中央' is already used by branch 1",
    ),
    (
        "bad connector",
        system(connector="z3950"),
        "system 1 (Osaka_Suita), connector: 'z3950' is not one of local, toshokan, sru, calil",
    ),
    (
        "missing connector",
        '[[system]]\nsystemid = "A"\nname = "A"\n[[system.branch]]\nlibkey = "a"\nformal = "a"\n',
        "system 1 (A), connector: is required",
    ),
    (
        "bad category",
        system(branch='category = "HUGE"'),
        "system 1 (Osaka_Suita), branch 1 (中央), category: 'HUGE' is not one of SMALL",
    ),
    (
        "geocode with one number",
        system(branch='geocode = "135.5"'),
        'branch 1 (中央), geocode: must be "lon,lat" (two numbers)',
    ),
    (
        "geocode not numbers",
        system(branch='geocode = "east,north"'),
        'branch 1 (中央), geocode: must be "lon,lat" (two numbers)',
    ),
    (
        "geocode latitude first",
        system(branch='geocode = "34.8,135.5"'),
        "geocode: '34.8,135.5' is off the globe",
    ),
    (
        "sru without endpoint",
        system(connector="sru"),
        "system 1 (Osaka_Suita), endpoint: the sru connector needs an http:// or https:// endpoint",
    ),
    (
        "endpoint not http",
        system('endpoint = "file:///etc/passwd"', connector="sru"),
        "endpoint: 'file:///etc/passwd' must be an http:// or https:// URL",
    ),
    (
        "endpoint with a password",
        system('endpoint = "http://u:p@example.jp/"', connector="toshokan"),
        "must not carry a user name or password",
    ),
    (
        "local with endpoint",
        system('endpoint = "http://x.jp/"', 'branch = "central"', connector="local"),
        "endpoint: the local connector takes no endpoint",
    ),
    (
        "local without branch code",
        system(connector="local"),
        "branch 1 (中央), branch: the local connector needs the toshokan branch code",
    ),
    (
        "remote with branch code",
        system(branch='branch = "central"'),
        "branch 1 (中央), branch: only the local connector names a toshokan branch",
    ),
    ("bad systemid", system(systemid="大阪 吹田"), "systemid: '大阪 吹田' must be 1–64 ASCII letters"),
    (
        "missing libkey",
        '[[system]]\nsystemid = "A"\nname = "A"\nconnector = "calil"\n[[system.branch]]\nformal = "a"\n',
        "system 1 (A), branch 1, libkey: is required",
    ),
    (
        "missing name",
        '[[system]]\nsystemid = "A"\nconnector = "calil"\n[[system.branch]]\nlibkey = "a"\nformal = "a"\n',
        "system 1 (A), name: is required",
    ),
    (
        "no branches",
        '[[system]]\nsystemid = "A"\nname = "A"\nconnector = "calil"\n',
        "system 1 (A): has no branches",
    ),
    ("unknown system field", system('adress = "x"'), "system 1 (Osaka_Suita): unknown field 'adress'"),
    ("unknown branch field", system(branch="lat = 1"), "branch 1 (中央): unknown field 'lat'"),
    ("timeout zero", system("timeout_s = 0"), "timeout_s: must be a number of seconds above 0"),
    ("timeout a string", system('timeout_s = "5"'), "timeout_s: must be a number of seconds above 0"),
    (
        "deadline negative",
        "[check]\ndeadline_s = -1\n",
        "[check], deadline_s: must be a number of seconds above 0",
    ),
    ("options not a table", system('options = "x"'), "options: must be a table"),
    ("bad isil", system(branch='isil = "1000031"'), "isil: '1000031' is not an ISIL"),
    (
        "bad url",
        system(branch='url = "javascript:alert(1)"'),
        "url: 'javascript:alert(1)' must be an http:// or https:// URL",
    ),
    (
        "reserve url with another placeholder",
        system('reserve_url = "https://x.jp/{title}"'),
        "reserve_url: 'https://x.jp/{title}' may use only the placeholder {isbn}",
    ),
    ("system as a single table", '[system]\nsystemid = "A"\n', "[[system]]: must be an array of tables"),
    ("name not a string", system().replace('name = "吹田市"', "name = 3"), "name: must be a string, not 3"),
]


@pytest.mark.parametrize(("text", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_each_mistake_is_reported_with_where_it_is(text, message):
    with pytest.raises(RegistryError) as raised:
        parse_registry(text, source="libraries.toml")
    assert message in str(raised.value)
    assert str(raised.value).startswith("libraries.toml: ")


def test_every_mistake_in_a_file_is_reported_at_once():
    text = system(branch='category = "HUGE"\ngeocode = "x"') + system(connector="nope")
    with pytest.raises(RegistryError) as raised:
        parse_registry(text)
    assert len(raised.value.errors) == 4, raised.value.errors  # category, geocode, duplicate id, connector


def test_a_calil_system_may_leave_its_endpoint_to_the_settings():
    (s,) = parse_registry(system()).systems
    assert s.connector is Connector.CALIL and s.endpoint == ""


def test_a_missing_or_unreadable_file_is_a_registry_error(tmp_path):
    with pytest.raises(RegistryError, match="cannot read the file"):
        load_registry_file(tmp_path / "missing.toml")
    (tmp_path / "latin1.toml").write_bytes('[[system]]\nname = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(RegistryError, match="must be UTF-8"):
        load_registry_file(tmp_path / "latin1.toml")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("139.767,35.681", (139.767, 35.681)), (" 139.767 , 35.681 ", (139.767, 35.681)), ([1, 2], (1.0, 2.0))],
)
def test_geocodes_are_read_longitude_first(value, expected):
    assert parse_geocode(value) == expected


@pytest.mark.parametrize("value", ["", "1,2,3", "nan,1", "181,0", "0,91", 5])
def test_geocodes_off_the_globe_or_malformed_are_refused(value):
    with pytest.raises(ValueError):
        parse_geocode(value)
