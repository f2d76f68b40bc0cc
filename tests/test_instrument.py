"""Instrument definitions: the JSON Schema, the loader's consistency checks and the study instrument's fixed names."""

import copy
import dataclasses
import json
from importlib import resources

import jsonschema
import pytest
import yaml

import psychometrics as pm
from psychometrics.errors import SpecError

NAME = "peer_support_implementation"
SCALES = {
    "organisational_culture": (["oc1", "oc2", "oc3", "oc4"], "oc_global"),
    "training": (["tr1", "tr2", "tr3"], "tr_global"),
    "role_definition": (["rd1", "rd2", "rd3", "rd4"], "rd_global"),
    "resourcing": (["rs1", "rs2", "rs3"], "rs_global"),
    "peer_network": (["pn1", "pn2", "pn3"], "pn_global"),
    "staff_attitudes": (["sa1", "sa2", "sa3", "sa4"], "sa_global"),
}
SITES = ("DE-Hamburg", "DE-Ulm", "IN-Bangalore", "IL-Jerusalem", "TZ-DarEsSalaam", "UG-Kampala")


@pytest.fixture()
def document():
    text = resources.files("psychometrics.data_schema").joinpath(f"{NAME}.yaml").read_text()
    return copy.deepcopy(yaml.safe_load(text))


def test_schema_is_valid_draft_2020_12():
    schema = json.loads(resources.files("psychometrics.data_schema").joinpath("instrument.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_study_instrument_fixed_names():
    inst = pm.load_instrument(NAME)
    assert inst.id == NAME and inst.version == "1.0.0"
    assert set(inst.languages) == {"de", "en", "hi", "he", "sw"}
    assert inst.id_column == "respondent_id"
    assert inst.group_columns == {"site": "site", "service": "service", "language": "language", "role": "role"}
    assert inst.group_labels["site"] == SITES
    assert set(inst.group_labels["role"]) == {"peer_support_worker", "mental_health_staff", "manager"}
    assert inst.criteria == ["readiness"] and inst.criterion_ranges["readiness"] == (0, 100)
    assert list(inst.scales) == list(SCALES)
    for name, (items, global_item) in SCALES.items():
        assert inst.scale_items(name) == items
        assert inst.scales[name].global_item == global_item
        assert inst.items[global_item].scale is None
        assert (inst.items[global_item].minimum, inst.items[global_item].maximum) == (0, 10)
    assert sorted(n for n, i in inst.items.items() if i.reverse) == ["oc3", "rd2", "sa4"]
    likert = inst.items["oc1"]
    assert (likert.minimum, likert.maximum, likert.allowed_values) == (1, 5, (1, 2, 3, 4, 5))
    assert likert.missing_codes == {9: "not applicable"}
    assert inst.items["oc_global"].missing_codes == {99: "don't know"}


def test_load_by_path_dict_and_instrument_agree(document, tmp_path):
    by_name = pm.load_instrument(NAME)
    path = tmp_path / "copy.yaml"
    path.write_text(yaml.safe_dump(document))
    assert pm.load_instrument(path).items == by_name.items
    assert pm.load_instrument(str(path)).scales == by_name.scales
    assert pm.load_instrument(document).expected_columns == by_name.expected_columns
    assert pm.load_instrument(by_name) is by_name
    assert NAME in pm.bundled_instruments()


def test_instrument_is_frozen_and_json_ready():
    inst = pm.load_instrument(NAME)
    with pytest.raises(dataclasses.FrozenInstanceError):
        inst.id = "other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        inst.items["oc1"].reverse = True
    text = json.dumps(inst.to_dict())
    assert "oc_global" in text and "peer_support_worker" in text
    assert "Instrument('peer_support_implementation'" in repr(inst)


def test_unknown_name_or_missing_file():
    with pytest.raises(SpecError, match="neither a file nor a bundled instrument.*peer_support_implementation"):
        pm.load_instrument("no_such_instrument")
    with pytest.raises(SpecError, match="neither a file"):
        pm.load_instrument("/tmp/does/not/exist.yaml")


def test_invalid_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nitems: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        pm.load_instrument(path)
    path.write_text("- just a list\n")
    with pytest.raises(SpecError, match="must be a YAML mapping"):
        pm.load_instrument(path)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("items"), "'items' is a required property"),
        (lambda d: d["scales"][0].update(scoring="median"), r"at scales/0/scoring"),
        (lambda d: [d["items"][0].pop(k) for k in ("allowed_values",)], r"at items/0"),
        (lambda d: d["items"][0].update(colour="red"), r"Additional properties.*colour"),
        (lambda d: d["scales"][1].update(min_answered=0), r"at scales/1/min_answered"),
        (lambda d: d["items"][0].update(missing_codes=[{"code": "NA"}]), r"at items/0/missing_codes/0"),
    ],
)
def test_schema_violations_name_the_place(document, change, message):
    change(document)
    with pytest.raises(SpecError, match=message):
        pm.load_instrument(document)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["scales"][0]["items"].append("oc9"), "scale 'organisational_culture' uses undefined item"),
        (lambda d: d["scales"][0].update(global_item="nope"), "undefined item"),
        (lambda d: d["items"].append(dict(d["items"][0])), "duplicate item name"),
        (lambda d: d["scales"].append(dict(d["scales"][0])), "duplicate scale name"),
        (lambda d: d["items"][0].update(missing_codes=[{"code": 3, "label": "x"}]), "missing code.*3.*valid answers"),
        (lambda d: d["scales"][1].update(min_answered=4), "min_answered=4 but has only 3 items"),
        (lambda d: d["items"][0].update(scale="training"), "listed in scale 'organisational_culture'"),
        (
            lambda d: d["items"][-1].update(scale="staff_attitudes"),
            "global rating 'sa_global'.*must not belong to a scale",
        ),
        (
            lambda d: d["items"].append(
                {"name": "oc5", "scale": "organisational_culture", "text": "t", "minimum": 1, "maximum": 5}
            ),
            "oc5 name a scale that does not list them",
        ),
        (
            lambda d: (
                d["items"][0].update(minimum=4, maximum=2, allowed_values=None) or d["items"][0].pop("allowed_values")
            ),
            "minimum 4 above maximum 2",
        ),
        (lambda d: d["items"][0].update(minimum=2, maximum=5), "allows values outside its range"),
        (lambda d: d.update(id_column="oc1"), "duplicate column.*oc1"),
    ],
)
def test_inconsistent_definitions(document, change, message):
    change(document)
    with pytest.raises(SpecError, match=message):
        pm.load_instrument(document)


def test_scale_items_unknown_scale():
    with pytest.raises(SpecError, match="no scale 'stigma'.*organisational_culture"):
        pm.load_instrument(NAME).scale_items("stigma")


def test_range_items_and_global_mapping(document):
    document["items"][0] = {"name": "oc1", "scale": "organisational_culture", "text": "t", "minimum": 0, "maximum": 100}
    inst = pm.load_instrument(document)
    assert inst.items["oc1"].allowed_values is None
    assert inst.items["oc1"].describe_values() == "between 0 and 100"
    assert inst.global_items["training"] == "tr_global"
