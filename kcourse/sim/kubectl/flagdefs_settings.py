"""The flags of kubectl's "Settings Commands" (as ``kubectl --help`` groups them):
label, annotate and completion.

Same provenance and entry format as :mod:`.flagdefs`, which merges the groups into one tree.

Simplified: hidden and deprecated flags are not listed.
"""

# fmt: off
TREE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
'annotate': ((), (
    '- all bool false',
    'A all-namespaces bool false',
    '- allow-missing-template-keys bool true',
    '- dry-run string=unchanged none',
    '- field-manager string kubectl-annotate',
    '- field-selector string',
    'f filename stringSlice []',
    'k kustomize string',
    '- list bool false',
    '- local bool false',
    'o output string',
    '- overwrite bool false',
    'R recursive bool false',
    '- resource-version string',
    'l selector string',
    '- show-managed-fields bool false',
    '- template string',
)),
'completion': ((), (
)),
'label': ((), (
    '- all bool false',
    'A all-namespaces bool false',
    '- allow-missing-template-keys bool true',
    '- dry-run string=unchanged none',
    '- field-manager string kubectl-label',
    '- field-selector string',
    'f filename stringSlice []',
    'k kustomize string',
    '- list bool false',
    '- local bool false',
    'o output string',
    '- overwrite bool false',
    'R recursive bool false',
    '- resource-version string',
    'l selector string',
    '- show-managed-fields bool false',
    '- template string',
)),
}
# fmt: on
