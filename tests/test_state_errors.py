"""The patient-state model and strict loader: each bad input gives its own message and location."""

from __future__ import annotations

import pytest

from advisor.errors import AdvisorError, InputError, Location, path_to_str
from advisor.state import load_state, state_to_data
from advisor.yamlio import parse_text

BASE = "imatinib:\n  status: taking\n  dose_mg: 400\n"


def load_error(tmp_path, text: str, name: str = "state.yaml") -> InputError:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_state(f)
    return info.value


def test_location_str_has_file_line_and_path():
    """A location prints as file:line: key.path, leaving out what is unknown."""
    assert [str(Location("s.yaml", 4, "labs.alt")), str(Location("s.yaml")), str(Location(path="x"))] == [
        "s.yaml:4: labs.alt", "s.yaml", "x"]


def test_error_str_lists_each_problem():
    """An error with several problems prints the headline then one indented line per problem."""
    err = AdvisorError("2 problems", Location("s.yaml"), ["a", "b"])
    assert (str(err), err.exit_code) == ("s.yaml: 2 problems\n  - a\n  - b", 2)


def test_path_to_str_formats_list_indexes():
    """Key paths use dots for keys and brackets for list positions."""
    assert path_to_str(("adverse_events", 0, "grade")) == "adverse_events[0].grade"


def test_unknown_top_level_key_suggests_and_lists(tmp_path):
    """A typo at the top level names the key, the nearest known key and every accepted key."""
    err = load_error(tmp_path, "imatinib: {status: taking, dose_mg: 400}\nhistroy: []\n")
    assert (err.location.line, err.location.path) == (2, "histroy")
    assert err.message.startswith("unknown key 'histroy' (did you mean 'history'?); expected one of: patient, indication")


def test_unknown_nested_key_in_list_item(tmp_path):
    """A typo inside an adverse event names the event's index and the accepted keys of an event."""
    err = load_error(tmp_path, BASE + "adverse_events:\n  - term: diarrhea\n    grade: 2\n    trnd: new\n")
    assert (err.location.line, err.location.path) == (7, "adverse_events[0].trnd")
    assert err.message == "unknown key 'trnd' (did you mean 'trend', 'term'?); expected one of: term, grade, trend, features, recurrence, attribution, specify"


def test_unknown_key_in_a_lab(tmp_path):
    """A typo inside a lab lists the lab's keys."""
    err = load_error(tmp_path, BASE + "labs:\n  alt: {value: 100, unti: U/L}\n")
    assert err.location.path == "labs.alt.unti"
    assert err.message == "unknown key 'unti' (did you mean 'unit', 'uln'?); expected one of: value, unit, uln, lln, baseline"


def test_message_does_not_repeat_the_path(tmp_path):
    """The key path appears once in the printed error (location), not again in the message."""
    err = load_error(tmp_path, BASE + "grdae: 3\n")
    assert str(err).count("grdae") == 2  # once in the location, once as the quoted key
    assert str(err).startswith(f"{tmp_path / 'state.yaml'}:4: grdae: unknown key 'grdae'")


def test_several_problems_are_all_reported(tmp_path):
    """Every validation problem is listed with its own line and path."""
    err = load_error(tmp_path, BASE + "adverse_events:\n  - {term: diarrhea, grade: x, trend: up}\n")
    assert err.message == "2 problems in the patient state"
    assert [p.split(": ", 1)[1] for p in err.problems] == ["adverse_events[0].grade: input should be a valid integer, unable to parse string as an integer (got 'x')",
                                                           "adverse_events[0].trend: 'up' is not allowed; expected 'new', 'worsening', 'stable', 'improving' or 'resolved'"]
    assert all(":5: " in p for p in err.problems)


@pytest.mark.parametrize(("text", "path", "message"), [
    ("imatinib: {status: taking, dose_mg: 350}\n", "imatinib.dose_mg",
     "350 mg is not on the imatinib dose ladder; expected one of 100, 200, 300, 400, 600, 800 (mg per day)"),
    ("imatinib: {status: interrupted}\n", "imatinib", "dose_mg is required when status is interrupted (the current or last dose)"),
    ("imatinib: {status: taking, dose_mg: 400, schedule: every_other_day}\n", "imatinib",
     "every_other_day is only used for 100 mg (the bottom of the ladder)"),
    ("imatinib: {status: taking, dose_mg: 400, days_interrupted: 3}\n", "imatinib",
     "days_interrupted is given but status is taking; set status to interrupted "
     "(it counts the days since the last dose of an interrupted course)"),
    ("imatinib: {status: not_started, days_interrupted: 3}\n", "imatinib",
     "days_interrupted is given but status is not_started; set status to interrupted "
     "(it counts the days since the last dose of an interrupted course)"),
    ("imatinib: {status: takng, dose_mg: 400}\n", "imatinib.status",
     "'takng' is not allowed (did you mean 'taking'?); expected 'taking', 'interrupted', 'discontinued' or 'not_started'"),
    ("imatinib: {status: taking, dose_mg: lots}\n", "imatinib.dose_mg",
     "input should be a valid integer, unable to parse string as an integer (got 'lots')"),
    ("imatinib: {status: taking, dose_mg: 400}\nhistory: [{term: diarrhea, dose_mg: 250}]\n", "history[0].dose_mg",
     "250 mg is not on the imatinib dose ladder; expected one of 100, 200, 300, 400, 600, 800 (mg per day)"),
])
def test_imatinib_and_dose_errors(tmp_path, text, path, message):
    """Dose and status errors name the field and what is expected."""
    err = load_error(tmp_path, text)
    assert (err.location.path, err.message) == (path, message)


@pytest.mark.parametrize(("event", "message"), [
    ("{term: rash_maculopapular, grade: 4}", "CTCAE v5 grades rash_maculopapular from 1 to 3; got 4"),
    ("{term: febrile_neutropenia, grade: 2}", "CTCAE v5 grades febrile_neutropenia from 3 to 5; got 2"),
    ("{term: toxic_epidermal_necrolysis, grade: 3}", "CTCAE v5 grades toxic_epidermal_necrolysis from 4 to 5; got 3"),
    ("{term: diarrhea, grade: 0}", "input should be greater than or equal to 1 (got 0)"),
    ("{term: diarrhea, grade: 7}", "input should be less than or equal to 5 (got 7)"),
])
def test_grade_out_of_range(tmp_path, event, message):
    """A grade outside 1-5, or outside the term's CTCAE v5 range, is rejected with the allowed range."""
    err = load_error(tmp_path, BASE + f"adverse_events:\n  - {event}\n")
    assert (err.location.line, err.message) == (5, message)


def test_unknown_term_lists_nearest_terms(tmp_path):
    """An adverse event term outside the vocabulary suggests the nearest known terms."""
    err = load_error(tmp_path, BASE + "adverse_events:\n  - {term: neutropenia, grade: 3}\n")
    assert err.location.path == "adverse_events[0].term"
    assert err.message.startswith("unknown adverse event term 'neutropenia' (did you mean ")
    assert "'febrile_neutropenia'" in err.message


def test_unknown_feature_lists_the_features(tmp_path):
    """An unknown feature is rejected with the accepted features."""
    err = load_error(tmp_path, BASE + "adverse_events:\n  - {term: rash_maculopapular, grade: 2, features: [exfoliaton]}\n")
    assert err.location.path == "adverse_events[0].features[0]"
    assert err.message.startswith("'exfoliaton' is not allowed (did you mean 'exfoliation'?); expected 'exfoliation'")


def test_unknown_lab_suggests_analytes(tmp_path):
    """An unknown lab key names the nearest analytes and all accepted ones."""
    err = load_error(tmp_path, BASE + "labs:\n  neutrophils: {value: 1.0}\n")
    assert err.location.path == "labs.neutrophils"
    assert err.message.startswith("unknown lab 'neutrophils' (did you mean 'anc'?)")
    assert "accepted: alt, ast, alp, ggt" in err.message


@pytest.mark.parametrize(("text", "path"), [
    (BASE + "labs:\n  alt: {value: true}\n", "labs.alt.value"),
    ("imatinib: {status: taking, dose_mg: true}\n", "imatinib.dose_mg"),
    (BASE + "adverse_events:\n  - {term: diarrhea, grade: yes}\n", "adverse_events[0].grade"),
])
def test_yes_no_is_not_a_number(tmp_path, text, path):
    """A true/false where a number belongs is an error, not silently read as 1."""
    err = load_error(tmp_path, text)
    assert err.location.path == path
    assert "got true" in err.message


def test_list_expected(tmp_path):
    """A mapping where a list belongs says a list is expected (not pydantic's 'tuple')."""
    err = load_error(tmp_path, BASE + "adverse_events: {term: diarrhea, grade: 2}\n")
    assert (err.location.path, err.message) == ("adverse_events", "expected a list (got {'term': 'diarrhea', 'grade': 2})")


def test_progression_needs_progressive_disease(tmp_path):
    """Limited progression with a non-PD status is rejected with the reason."""
    err = load_error(tmp_path, BASE + "response: {status: stable_disease, progression: limited}\n")
    assert err.message == "progression 'limited' needs status progressive_disease (status is stable_disease)"


def test_missing_imatinib(tmp_path):
    """A state without imatinib says imatinib is required."""
    err = load_error(tmp_path, "patient: {age: 50}\n")
    assert (err.location.path, err.message) == ("imatinib", "is required but missing")


def test_duplicate_key_names_both_lines(tmp_path):
    """A key given twice is an error on the second line that names the first."""
    err = load_error(tmp_path, BASE + "  status: interrupted\n")
    assert (err.location.line, err.location.path, err.message) == (4, "imatinib.status", "duplicate key 'status' (first given on line 2)")


@pytest.mark.parametrize("text", ["", "# a comment only\n", "\n\n"])
def test_empty_file(tmp_path, text):
    """An empty (or comment-only) file says it is empty."""
    assert load_error(tmp_path, text).message == "the file is empty; expected a mapping of keys"


@pytest.mark.parametrize(("text", "kind"), [
    ("- imatinib: {status: taking, dose_mg: 400}\n", "a list"), ("just text\n", "a plain text value"), ("42\n", "a number"),
])
def test_top_level_must_be_a_mapping(tmp_path, text, kind):
    """A top level that is not a mapping says what it is and what is expected."""
    err = load_error(tmp_path, text)
    assert err.message == f"the top level is {kind}; expected a mapping (a patient state with at least 'imatinib')"


def test_broken_yaml_has_a_line(tmp_path):
    """YAML syntax errors carry the line where the parser stopped."""
    err = load_error(tmp_path, "imatinib:\n  status: taking\n  dose_mg: [400\nlabs: {}\n")
    assert (err.location.line, err.message) == (4, "not valid YAML: did not find expected ',' or ']'")


def test_merge_keys_are_rejected(tmp_path):
    """YAML merge keys are refused rather than silently expanded."""
    err = load_error(tmp_path, "base: &b {status: taking, dose_mg: 400}\nimatinib:\n  <<: *b\n")
    assert (err.location.line, err.message) == (3, "YAML merge keys (<<) are not supported")


def test_missing_file_and_folder(tmp_path):
    """A missing path or a folder is an input error naming the path."""
    with pytest.raises(InputError) as missing:
        load_state(tmp_path / "nope.yaml")
    with pytest.raises(InputError) as folder:
        load_state(tmp_path)
    assert (missing.value.message, folder.value.message) == ("no such file", "is a folder; expected a YAML or JSON file")


def test_binary_file_is_rejected(tmp_path):
    """A file with NUL bytes is refused as binary."""
    f = tmp_path / "s.yaml"
    f.write_bytes(b"imatinib:\x00\n")
    with pytest.raises(InputError, match="binary data"):
        load_state(f)


def test_json_is_accepted(tmp_path):
    """A JSON state file loads to the same state as its YAML twin."""
    (tmp_path / "s.json").write_text('{"imatinib": {"status": "taking", "dose_mg": 400}, "labs": {"alt": {"value": 240, "uln": 40}}}')
    (tmp_path / "s.yaml").write_text(BASE + "labs:\n  alt: {value: 240, uln: 40}\n")
    assert load_state(tmp_path / "s.json") == load_state(tmp_path / "s.yaml")


def test_broken_json(tmp_path):
    """Broken JSON names the file and a line and says it is not valid JSON, with the parser's reason
    (worded differently by each Python version, so only its presence is checked)."""
    err = load_error(tmp_path, '{"imatinib": {"status": "taking", "dose_mg": 400},\n}', "s.json")
    assert err.location.file.endswith("s.json") and err.location.line in (1, 2)
    assert err.message.startswith("not valid JSON: ") and len(err.message) > len("not valid JSON: ")


def test_duplicate_json_key(tmp_path):
    assert load_error(tmp_path, '{"imatinib": {}, "imatinib": {}}', "s.json").message == "duplicate key 'imatinib'"


def test_line_marks_follow_nesting():
    """The loader keeps the line of every key so that deep errors can point at them."""
    doc = parse_text(BASE + "labs:\n  alt:\n    value: 5\n", "x.yaml")
    assert [doc.line_of(("labs", "alt", "value")), doc.line_of(("labs", "alt", "uln")), doc.line_of(("imatinib", "dose_mg"))] == [6, 5, 3]


def test_state_round_trips_through_data(tmp_path):
    """state_to_data gives data that loads back to an equal state."""
    f = tmp_path / "s.yaml"
    f.write_text(BASE + "adverse_events: [{term: diarrhea, grade: 2}]\nco_medications: [{drug: loperamide, class: antidiarrheal}]\n")
    state = load_state(f)
    import yaml

    g = tmp_path / "t.yaml"
    g.write_text(yaml.safe_dump(state_to_data(state)))
    assert load_state(g) == state
