"""The flags of kubectl's "Cluster Management Commands" (as ``kubectl --help`` groups them):
certificate, cluster-info, top, cordon, uncordon, drain and taint.

Same provenance and entry format as :mod:`.flagdefs`, which merges the groups into one tree.

Simplified: hidden and deprecated flags are not listed.
"""

from .flagsets import FILENAME_FLAGS, PRINT_FLAGS, flag_set

# fmt: off
TREE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
'certificate': ((), (
)),
'certificate approve': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- force bool false',
)),
'certificate deny': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- force bool false',
)),
'cluster-info': ((), (
)),
'cluster-info dump': ((), (
    'A all-namespaces bool false',
    '- allow-missing-template-keys bool true',
    '- namespaces stringSlice []',
    'o output string json',
    '- output-directory string',
    '- pod-running-timeout duration 20s',
    '- show-managed-fields bool false',
    '- template string',
)),
'cordon': ((), (
    '- dry-run string=unchanged none',
    'l selector string',
)),
'drain': ((), (
    '- chunk-size int 500',
    '- delete-emptydir-data bool false',
    '- disable-eviction bool false',
    '- dry-run string=unchanged none',
    '- force bool false',
    '- grace-period int -1',
    '- ignore-daemonsets bool false',
    '- pod-selector string',
    'l selector string',
    '- skip-wait-for-delete-timeout int 0',
    '- timeout duration 0s',
)),
'taint': ((), flag_set(
    PRINT_FLAGS,
    '- all bool false',
    '- dry-run string=unchanged none',
    '- field-manager string kubectl-taint',
    '- overwrite bool false',
    'l selector string',
    '- validate string=strict strict',
)),
'top': ((), (
)),
'top node': (('nodes', 'no'), (
    '- no-headers bool false',
    'l selector string',
    '- show-capacity bool false',
    '- sort-by string',
    '- use-protocol-buffers bool true',
)),
'top pod': (('pods', 'po'), (
    'A all-namespaces bool false',
    '- containers bool false',
    '- field-selector string',
    '- no-headers bool false',
    'l selector string',
    '- sort-by string',
    '- sum bool false',
    '- use-protocol-buffers bool true',
)),
'uncordon': ((), (
    '- dry-run string=unchanged none',
    'l selector string',
)),
}
# fmt: on
