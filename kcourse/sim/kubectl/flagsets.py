"""The flag sets many kubectl commands add together, named once as kubectl's own structs name them.

A command's flags are a few of these sets and its own flags; :func:`flag_set` merges them in the order
``kubectl <command> --help`` lists them (by long name).  The entry format is :mod:`.flagdefs`'s.

- ``PRINT_FLAGS``: ``genericclioptions.PrintFlags`` (``-o``, with ``JSONYamlPrintFlags``'s
  ``--show-managed-fields`` and ``KubeTemplatePrintFlags``'s ``--template`` and
  ``--allow-missing-template-keys``), in ``cli-runtime/pkg/genericclioptions/print_flags.go``.
- ``FILENAME_FLAGS``: ``genericclioptions.FileNameFlags`` (``-f``, ``-k``, ``-R``), which
  ``cmdutil.AddFilenameOptionFlags`` adds.
- ``DELETE_FLAGS``: ``delete.NewDeleteFlags``, the deletion flags of the commands other than ``delete``
  (``apply``, ``replace``, ``run``), in ``kubectl/pkg/cmd/delete/delete_flags.go``.
- ``CREATE_FLAGS``: what every ``kubectl create`` generator adds: its ``PrintFlags``,
  ``cmdutil.AddApplyAnnotationFlags``, ``AddValidateFlags``, ``AddDryRunFlag`` and
  ``AddFieldManagerFlagVar(cmd, …, "kubectl-create")``.

Simplified: a flag's usage text is not kept, so two sets that differ only in it are one here.
"""

PRINT_FLAGS = (
    "- allow-missing-template-keys bool true",
    "o output string",
    "- show-managed-fields bool false",
    "- template string",
)

FILENAME_FLAGS = (
    "f filename stringSlice []",
    "k kustomize string",
    "R recursive bool false",
)

DELETE_FLAGS = (
    *FILENAME_FLAGS,
    "- cascade string=background background",
    "- force bool false",
    "- grace-period int -1",
    "- timeout duration 0s",
    "- wait bool false",
)

CREATE_FLAGS = (
    *PRINT_FLAGS,
    "- dry-run string=unchanged none",
    "- field-manager string kubectl-create",
    "- save-config bool false",
    "- validate string=strict strict",
)


def flag_set(*parts: str | tuple[str, ...]) -> tuple[str, ...]:
    """The flags of ``parts`` (sets and single entries) sorted by long name, as cobra's help lists them;
    a flag given twice is a mistake in the table, so it raises."""
    specs = [s for p in parts for s in ((p,) if isinstance(p, str) else p)]
    names = [s.split()[1] for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"a flag is given twice: {sorted(n for n in names if names.count(n) > 1)}")
    return tuple(sorted(specs, key=lambda s: s.split()[1]))
