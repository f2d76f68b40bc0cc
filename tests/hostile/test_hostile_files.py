"""Issue 16: report files under hostile labels and careless use: nothing outside --out, nothing half-written,
nothing rendered from the data, nothing a spreadsheet would run; YAML that cannot blow up."""

from __future__ import annotations

import pytest
import yaml

import psychometrics as pm
from psychometrics.cli import main as cli
from psychometrics.report import load_spec, run_spec
from psychometrics.report import writers

from hostile_data import survey, write_spec


@pytest.fixture
def project(tmp_path):
    """tmp_path/in holding data.csv and spec.yaml; returns (input folder, spec path)."""
    folder = tmp_path / "in"
    folder.mkdir()
    survey().to_csv(folder / "data.csv", index=False)
    return folder, write_spec(folder, "data.csv")


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_group_labels_cannot_write_outside_out(tmp_path):
    folder = tmp_path / "deep" / "in"
    folder.mkdir(parents=True)
    survey(sites=("/../../../d", "..", "a\x00b")).to_csv(folder / "data.csv", index=False)
    spec = write_spec(folder, "data.csv")
    before = _files(tmp_path)
    assert cli(["report", str(spec), "--out", str(tmp_path / "deep" / "out"), "--no-progress"]) == 0
    written = [f for f in _files(tmp_path) if f not in before]
    assert all(f.startswith("deep/out") for f in written)
    tables = _files(tmp_path / "deep" / "out" / "tables")
    assert len(tables) == 4 and all("/" not in t and "\x00" not in t and ".." not in t for t in tables)


def test_out_that_contains_an_input_is_refused(project, tmp_path, capsys):
    folder, spec = project
    out = tmp_path / "out"
    assert cli(["report", str(spec), "--out", str(out), "--no-progress"]) == 0
    data = out / "tables" / "item_statistics.csv"
    survey().to_csv(data, index=False)
    assert cli(["report", str(spec), "--data", str(data), "--out", str(out), "--no-progress"]) == 2
    assert "contains the input" in capsys.readouterr().err
    assert data.is_file()
    assert cli(["report", str(spec), "--out", str(folder), "--no-progress"]) == 2  # the spec's own folder


def test_foreign_non_empty_out_needs_force(project, tmp_path, capsys):
    _, spec = project
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    assert cli(["report", str(spec), "--out", str(out), "--no-progress"]) == 2
    assert "--force" in capsys.readouterr().err
    assert _files(out) == ["thesis.docx"]
    assert cli(["report", str(spec), "--out", str(out), "--no-progress", "--force"]) == 0
    assert (out / "results.json").is_file()


def test_rerun_leaves_no_stale_files(project, tmp_path):
    _, spec = project
    out = tmp_path / "out"
    assert cli(["report", str(spec), "--out", str(out), "--no-progress"]) == 0
    first = _files(out)
    (out / "tables" / "item_statistics_old-site.csv").write_text("stale")
    (out / "figures" / "old.svg").write_text("stale")
    assert cli(["report", str(spec), "--out", str(out), "--no-progress"]) == 0
    assert _files(out) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]  # no temporary folder left


def test_failed_write_keeps_the_previous_output(project, tmp_path, monkeypatch):
    folder, spec = project
    out = tmp_path / "out"
    run_spec(spec, progress=False).write(out)
    previous = (out / "results.json").read_bytes()
    report = run_spec(load_spec(load_spec(spec).raw | {"title": "Second run"}, folder=folder), progress=False)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers, "_template", disk_full)
    with pytest.raises(OSError):
        report.write(out)
    assert (out / "results.json").read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_markdown_report_escapes_titles_labels_and_cells(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    survey(sites=("<script>alert(1)</script>", "[x](javascript:alert(2))")).to_csv(folder / "data.csv", index=False)
    spec = write_spec(
        folder, "data.csv", title="<img src=x onerror=alert(3)> | **bold**", description="# not a heading\n<b>raw</b>"
    )
    run_spec(spec, progress=False).write(tmp_path / "out")
    markdown = (tmp_path / "out" / "report.md").read_text()
    for raw in ("<script>", "<img", "<b>", "[x](javascript", "**bold**", "\n# not a heading"):
        assert raw not in markdown
    assert "&lt;script&gt;" in markdown and "\\[x\\]" in markdown


def test_csv_cells_cannot_start_a_formula(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    survey(sites=('=HYPERLINK("http://x")', "@SUM(A1)", "-2+3", "+1")).to_csv(folder / "data.csv", index=False)
    spec = write_spec(folder, "data.csv", analyses=[{"type": "sample"}])
    run_spec(spec, progress=False).write(tmp_path / "out")
    text = (tmp_path / "out" / "tables" / "sample_by_site.csv").read_text()
    lines = text.splitlines()[1:]
    assert lines and not any(line.lstrip('"').startswith(("=", "@", "+", "-")) for line in lines)
    assert "'=HYPERLINK" in text


# ------------------------------------------------------------------------------------------------------------ YAML
def test_spec_with_duplicate_keys_is_refused(project):
    _, spec = project
    spec.write_text(spec.read_text() + "title: Second title\n")
    with pytest.raises(pm.SpecError, match="appears twice"):
        load_spec(spec)


def test_instrument_with_duplicate_keys_is_refused(tmp_path):
    path = tmp_path / "instrument.yaml"
    path.write_text("id: x\nversion: 1\nid: y\n")
    with pytest.raises(pm.SpecError, match="appears twice"):
        pm.load_instrument(path)


def _alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\ntitle: *a{levels - 1}\n"


def test_alias_bomb_is_refused(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(_alias_bomb(6))  # 10^6 strings from 6 lines
    with pytest.raises(pm.SpecError, match="expands to more than"):
        load_spec(path)
    path.write_text("a: &a [*a]\n")
    with pytest.raises(pm.SpecError, match="refers to itself"):
        load_spec(path)


def test_schema_errors_do_not_echo_huge_values(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(
        yaml.safe_dump(
            {"name": "x", "title": ["long" * 10] * 5000, "data": {"dataset": "bfi"}, "analyses": [{"type": "sample"}]}
        )
    )
    with pytest.raises(pm.SpecError) as error:
        load_spec(path)
    assert len(str(error.value)) < 2000


@pytest.mark.parametrize(
    "option",
    [
        {"type": "reliability", "ci": "bootstrap", "n_boot": 10**9},
        {"type": "efa", "n_iter": 10**8},
        {"type": "efa", "n_factors": 10**6},
        {"type": "omega", "n_factors": 1000},
    ],
)
def test_spec_bounds_the_options(option):
    raw = {"name": "x", "title": "x", "data": {"dataset": "bfi"}, "analyses": [option]}
    with pytest.raises(pm.SpecError, match="greater than the maximum|not valid under any"):
        load_spec(raw)
