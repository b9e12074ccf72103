"""A Ctrl-C while the command line is still being imported ends like one during a command:
'interrupted' and exit 130, no traceback (it used to print one in the first half-second)."""

from __future__ import annotations

import pytest

from advisor import start


def test_ctrl_c_during_import_is_an_interruption_not_a_traceback(capsys):
    def interrupted_import():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exc:
        start.main(load=interrupted_import)
    assert exc.value.code == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def test_the_entry_point_runs_the_command_line():
    ran = []
    start.main(load=lambda: lambda: ran.append(True))
    assert ran == [True]
