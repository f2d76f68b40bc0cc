"""Issue 16: every faulty input of the command line gives one clear message and exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from psychometrics.cli import main as cli

from hostile_data import survey


def _inputs(folder):
    """Faulty files of the cases below, written into ``folder``."""
    survey().to_csv(folder / "good.csv", index=False)
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (folder / "latin1.csv").write_bytes("site,a1,a2,a3\nZürich,1,2,3\n".encode("latin-1"))
    (folder / "empty.csv").write_bytes(b"")
    (folder / "garbage.xlsx").write_bytes(b"not a zip file" * 10)
    (folder / "duplicate.csv").write_text("site,a1,a2,a1\nx,1,2,3\n")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "nested.json").write_text("[" * 5_000 + "]" * 5_000)
    (folder / "results.json").write_text('{"a": 1}')
    (folder / "broken.yaml").write_text("a: [\n")
    (folder / "badrule.yaml").write_text("'*': {rtol: fast}\n")
    (folder / "binary.yaml").write_bytes(b"\xff\xfe\x00a")
    (folder / "spec.yaml").write_text(
        textwrap.dedent("""\
        name: t
        title: T
        data: {file: good.csv}
        group: site
        scales: {scale: [a1, a2, a3]}
        analyses: [{type: sample}]
        """)
    )


CASES = {  # case -> (arguments, a word the message must hold); each gave a traceback or a wrong message before
    "binary data": (["report", "{d}/spec.yaml", "--data", "{d}/binary.csv", "--out", "{d}/o"], "binary.csv"),
    "latin-1 data": (["report", "{d}/spec.yaml", "--data", "{d}/latin1.csv", "--out", "{d}/o"], "UTF-8"),
    "empty csv": (["report", "{d}/spec.yaml", "--data", "{d}/empty.csv", "--out", "{d}/o"], "empty"),
    "garbage xlsx": (["report", "{d}/spec.yaml", "--data", "{d}/garbage.xlsx", "--out", "{d}/o"], "Excel"),
    "duplicate column": (["report", "{d}/spec.yaml", "--data", "{d}/duplicate.csv", "--out", "{d}/o"], "twice"),
    "binary spec": (["report", "{d}/binary.csv", "--out", "{d}/o"], "UTF-8"),
    "jobs 0": (["report", "{d}/spec.yaml", "--out", "{d}/o", "--jobs", "0"], "--jobs"),
    "binary instrument": (["validate", "{d}/good.csv", "--instrument", "{d}/binary.yaml"], "UTF-8"),
    "deeply nested json": (["compare", "{d}/deep.json", "{d}/results.json"], "nests too deeply"),
    "nested json": (["compare", "{d}/nested.json", "{d}/nested.json"], "nests too deeply"),
    "binary json": (["compare", "{d}/binary.csv", "{d}/results.json"], "UTF-8"),
    "tolerances not yaml": (
        ["compare", "{d}/results.json", "{d}/results.json", "--tolerances", "{d}/broken.yaml"],
        "not valid YAML",
    ),
    "tolerances bad rule": (
        ["compare", "{d}/results.json", "{d}/results.json", "--tolerances", "{d}/badrule.yaml"],
        "fast",
    ),
    "tolerances binary": (
        ["compare", "{d}/results.json", "{d}/results.json", "--tolerances", "{d}/binary.yaml"],
        "UTF-8",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_faulty_input_gives_one_message_and_exit_2(case, tmp_path, capsys):
    _inputs(tmp_path)
    arguments, expected = CASES[case]
    code = cli([part.format(d=tmp_path) for part in arguments])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("psychometrics ") and "error:" in err and "Traceback" not in err
    assert expected in err and len(err) < 1000


def test_empty_data_file_with_a_header_is_refused(tmp_path, capsys):
    _inputs(tmp_path)
    (tmp_path / "header.csv").write_text("site,a1,a2,a3\n")
    code = cli(
        ["report", str(tmp_path / "spec.yaml"), "--data", str(tmp_path / "header.csv"), "--out", str(tmp_path / "o")]
    )
    assert code == 2 and "no rows" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_ctrl_c_gives_one_message_and_exit_2(monkeypatch, capsys):
    import psychometrics.compare

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(psychometrics.compare, "run_compare", interrupted)
    assert cli(["compare", "new.json", "reference.json"]) == 2
    assert capsys.readouterr().err.strip() == "psychometrics compare: interrupted"


def test_report_workers_ignore_ctrl_c():
    """Ctrl-C reaches every process of the group; workers must leave the message to the main process."""
    script = (
        "import os, signal; from psychometrics.report.runner import ignore_interrupts; ignore_interrupts(); "
        "os.kill(os.getpid(), signal.SIGINT); print('still running')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.strip() == "still running" and "Traceback" not in done.stderr
