"""The flags of kubectl's "Settings Commands" (as ``kubectl --help`` groups them):
label, annotate and completion.

Same provenance and entry format as :mod:`.flagdefs`, which merges the groups into one tree.

Simplified: hidden and deprecated flags are not listed.
"""

from .flagsets import FILENAME_FLAGS, PRINT_FLAGS, flag_set

# fmt: off
TREE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
'annotate': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- all bool false',
    'A all-namespaces bool false',
    '- dry-run string=unchanged none',
    '- field-manager string kubectl-annotate',
    '- field-selector string',
    '- list bool false',
    '- local bool false',
    '- overwrite bool false',
    '- resource-version string',
    'l selector string',
)),
'completion': ((), (
)),
'label': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- all bool false',
    'A all-namespaces bool false',
    '- dry-run string=unchanged none',
    '- field-manager string kubectl-label',
    '- field-selector string',
    '- list bool false',
    '- local bool false',
    '- overwrite bool false',
    '- resource-version string',
    'l selector string',
)),
}
# fmt: on
