"""The flags of kubectl's "Deploy Commands" (as ``kubectl --help`` groups them):
rollout, scale and autoscale.

Same provenance and entry format as :mod:`.flagdefs`, which merges the groups into one tree.

Simplified: hidden and deprecated flags are not listed.
"""

from .flagsets import FILENAME_FLAGS, PRINT_FLAGS, flag_set

# fmt: off
TREE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
'autoscale': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- cpu-percent int32 -1',
    '- dry-run string=unchanged none',
    '- field-manager string kubectl-autoscale',
    '- max int32 -1',
    '- min int32 -1',
    '- name string',
    '- save-config bool false',
)),
'rollout': ((), (
)),
'rollout history': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- revision int 0',
    'l selector string',
)),
'rollout pause': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- field-manager string kubectl-rollout',
    'l selector string',
)),
'rollout restart': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- field-manager string kubectl-rollout',
    'l selector string',
)),
'rollout resume': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- field-manager string kubectl-rollout',
    'l selector string',
)),
'rollout status': ((), flag_set(
    FILENAME_FLAGS,
    '- revision int 0',
    'l selector string',
    '- timeout duration 0s',
    'w watch bool true',
)),
'rollout undo': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- dry-run string=unchanged none',
    'l selector string',
    '- to-revision int 0',
)),
'scale': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- all bool false',
    '- current-replicas int -1',
    '- dry-run string=unchanged none',
    '- replicas int 0',
    '- resource-version string',
    'l selector string',
    '- timeout duration 0s',
)),
}
# fmt: on
