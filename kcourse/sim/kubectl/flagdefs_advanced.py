"""The flags of kubectl's "Advanced Commands" (as ``kubectl --help`` groups them):
diff, apply, patch, replace, wait and kustomize.

Same provenance and entry format as :mod:`.flagdefs`, which merges the groups into one tree.

Simplified: hidden and deprecated flags are not listed.
"""

from .flagsets import DELETE_FLAGS, FILENAME_FLAGS, PRINT_FLAGS, flag_set

# fmt: off
TREE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
'apply': ((), flag_set(
    DELETE_FLAGS,
    PRINT_FLAGS,
    '- all bool false',
    '- dry-run string=unchanged none',
    '- field-manager string kubectl-client-side-apply',
    '- force-conflicts bool false',
    '- openapi-patch bool true',
    '- overwrite bool true',
    '- prune bool false',
    '- prune-allowlist stringArray []',
    'l selector string',
    '- server-side bool false',
    '- subresource string',
    '- validate string=strict strict',
)),
'apply edit-last-applied': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- field-manager string kubectl-client-side-apply',
    '- validate string=strict strict',
    '- windows-line-endings bool false',
)),
'apply set-last-applied': ((), flag_set(
    PRINT_FLAGS,
    '- create-annotation bool false',
    '- dry-run string=unchanged none',
    'f filename stringSlice []',
)),
'apply view-last-applied': ((), flag_set(
    FILENAME_FLAGS,
    '- all bool false',
    'o output string yaml',
    'l selector string',
)),
'diff': ((), flag_set(
    FILENAME_FLAGS,
    '- concurrency int 1',
    '- field-manager string kubectl-client-side-apply',
    '- force-conflicts bool false',
    '- prune bool false',
    '- prune-allowlist stringArray []',
    'l selector string',
    '- server-side bool false',
    '- show-managed-fields bool false',
)),
'kustomize': ((), (
    '- as-current-user bool false',
    '- enable-alpha-plugins bool false',
    '- enable-helm bool false',
    'e env stringArray []',
    '- helm-api-versions stringArray []',
    '- helm-command string helm',
    '- helm-debug bool false',
    '- helm-kube-version string',
    '- load-restrictor string LoadRestrictionsRootOnly',
    '- mount stringArray []',
    '- network bool false',
    '- network-name string bridge',
    'o output string',
)),
'patch': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- dry-run string=unchanged none',
    '- field-manager string kubectl-patch',
    '- local bool false',
    'p patch string',
    '- patch-file string',
    '- subresource string',
    '- type string strategic',
)),
'replace': ((), flag_set(
    DELETE_FLAGS,
    PRINT_FLAGS,
    '- dry-run string=unchanged none',
    '- field-manager string kubectl-replace',
    '- raw string',
    '- save-config bool false',
    '- subresource string',
    '- validate string=strict strict',
)),
'wait': ((), flag_set(
    PRINT_FLAGS,
    '- all bool false',
    'A all-namespaces bool false',
    '- field-selector string',
    'f filename stringSlice []',
    '- for string',
    '- local bool false',
    'R recursive bool true',
    'l selector string',
    '- timeout duration 30s',
)),
}
# fmt: on
