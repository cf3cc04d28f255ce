"""README's "What Keras names neuronio has" table is the one scripts/names_table.py generates from
each module's `__all__`: a name added to or removed from the code without regenerating fails here.
The generator itself must place every Keras name neuronio lacks under a stated reason."""

import importlib.util
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("names_table", ROOT / "scripts" / "names_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


names_table = _generator()


def test_readme_names_table_is_the_generated_one():
    text = names_table.README.read_text()
    new = names_table.rewrite(text)
    if new != text:
        old_lines, new_lines = text.splitlines(), new.splitlines()
        first = next(i for i, (a, b) in enumerate(zip(old_lines + [""], new_lines + [""])) if a != b)
        pytest.fail(
            f"README.md's names table differs from the code (first at line {first + 1}): run "
            f"`{names_table.COMMAND}` and commit README.md.\n  README: {old_lines[first : first + 1]}\n"
            f"  code:   {new_lines[first : first + 1]}"
        )


def test_every_public_name_of_every_row_module_is_in_the_table():
    import neuronio.layers

    table = names_table.table()
    for _, spec, keras_module, _ in names_table.ROWS:
        if keras_module == "ops":
            continue
        for name in names_table.row_names(spec):
            assert f"`{name}`" in table, (spec, name)
    # The layers rows together hold every public layer name, each exactly once.
    grouped = [
        n
        for _, spec, _, _ in names_table.ROWS
        if spec.startswith("neuronio.layers:")
        for n in names_table.row_names(spec)
    ]
    assert sorted(grouped) == sorted(names_table._public(neuronio.layers))


def test_names_keras_has_are_apart_from_those_beyond_keras():
    rows = {label: cell for label, cell in re.findall(r"^\| (`neuronio\.[^|]+) \| (.*) \|$", names_table.table(), re.M)}
    layers_keras, _, layers_beyond = rows["`neuronio.layers`"].partition("beyond Keras:")
    assert "`Dense`" in layers_keras and "`Dense`" not in layers_beyond
    assert "`APL`" in layers_beyond and "`APL`" not in layers_keras
    assert "`MaxPooling2D`/`MaxPool2D`" in layers_keras  # one object, its own name first
    assert "`silu`/`swish`" in rows["`neuronio.activations`"]
    assert rows["`neuronio.visualize`"].startswith("neuronio's own: ")


def test_the_ops_row_counts_keras_names_and_lists_neuronios_own():
    import neuronio.ops as ops

    keras_ops, out_of_scope = names_table._keras_ops()
    cell = names_table.ops_cell(names_table.row_names("neuronio.ops"))
    assert cell.startswith(f"{len(keras_ops) - len(out_of_scope)} of Keras 3's {len(keras_ops)} `keras.ops` names")
    assert f"all but the {len(out_of_scope)} below" in cell
    own = [n for n in ops.__all__ if n not in keras_ops]
    assert own and all(f"`{n}`" in cell for n in own)
    assert "`matmul`" not in cell  # a Keras op: counted, not listed


def test_a_keras_name_neuronio_lacks_must_be_placed_under_a_reason(monkeypatch):
    frozen = names_table._frozen()
    frozen["modules"]["losses"] = frozen["modules"]["losses"] + ["ImaginaryLoss"]
    monkeypatch.setattr(names_table, "_frozen", lambda: frozen)
    with pytest.raises(SystemExit, match=r"no group of LEFT_OUT.*keras\.losses\.ImaginaryLoss"):
        names_table.left_out()


def test_a_row_module_without_all_stops_the_generator(monkeypatch):
    import neuronio.random

    monkeypatch.delattr(neuronio.random, "__all__")
    with pytest.raises(SystemExit, match=r"neuronio\.random has no __all__"):
        names_table.table()


def test_left_out_names_are_keras_names_neuronio_lacks():
    # A literal name in LEFT_OUT that Keras dropped, or that neuronio has since implemented, is stale.
    frozen = names_table._frozen()["modules"]
    missing = names_table._missing()
    for title, _, patterns in names_table.LEFT_OUT:
        for keras_module, entries in patterns.items():
            for entry in entries:
                if re.fullmatch(r"\w+", entry):
                    assert entry in frozen[keras_module], (title, keras_module, entry)
                    assert entry in missing[keras_module], (
                        f"neuronio has keras.{keras_module}.{entry}: drop it from {title!r}"
                    )
                else:
                    assert any(re.fullmatch(entry, n) for n in missing[keras_module]), (title, entry)


def test_check_mode_reports_drift_with_the_command(tmp_path, monkeypatch, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{names_table.START}\n| stale |\n{names_table.END}\n")
    monkeypatch.setattr(names_table, "README", readme)
    assert names_table.main(["--check"]) == 1
    assert "run `python scripts/names_table.py`" in capsys.readouterr().out
    assert names_table.main([]) == 0
    assert names_table.main(["--check"]) == 0
    assert "| stale |" not in readme.read_text()
