"""The flags of kubectl's "Other Commands" (as ``kubectl --help`` groups them):
api-resources, api-versions, config, plugin and version, and the global flags (``*``).

Same provenance and entry format as :mod:`.flagdefs`, which merges the groups into one tree.

Simplified: hidden and deprecated flags are not listed.
"""

# fmt: off
TREE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
'*': ((), (
    '- as string',
    '- as-group stringArray []',
    '- as-uid string',
    '- cache-dir string $HOME/.kube/cache',
    '- certificate-authority string',
    '- client-certificate string',
    '- client-key string',
    '- cluster string',
    '- context string',
    '- disable-compression bool false',
    '- insecure-skip-tls-verify bool false',
    '- kubeconfig string',
    '- log-flush-frequency klogDuration 5s',
    '- match-server-version bool false',
    'n namespace string',
    '- password string',
    '- profile string none',
    '- profile-output string profile.pprof',
    '- request-timeout string 0',
    's server string',
    '- tls-server-name string',
    '- token string',
    '- user string',
    '- username string',
    'v v int32 0',
    '- vmodule vmodule',
    '- warnings-as-errors bool false',
)),
'api-resources': ((), (
    '- api-group string',
    '- cached bool false',
    '- categories stringSlice []',
    '- namespaced bool true',
    '- no-headers bool false',
    'o output string',
    '- sort-by string',
    '- verbs stringSlice []',
)),
'api-versions': ((), (
)),
'config': ((), (
)),
'config current-context': ((), (
)),
'config delete-cluster': ((), (
)),
'config delete-context': ((), (
)),
'config delete-user': ((), (
)),
'config get-clusters': ((), (
)),
'config get-contexts': ((), (
    '- no-headers bool false',
    'o output string',
)),
'config get-users': ((), (
)),
'config rename-context': ((), (
)),
'config set': ((), (
    '- set-raw-bytes bool false',
)),
'config set-cluster': ((), (
    '- certificate-authority string',
    '- embed-certs bool false',
    '- insecure-skip-tls-verify bool false',
    '- proxy-url string',
    '- server string',
    '- tls-server-name string',
)),
'config set-context': ((), (
    '- cluster string',
    '- current bool false',
    '- namespace string',
    '- user string',
)),
'config set-credentials': ((), (
    '- auth-provider string',
    '- auth-provider-arg stringSlice []',
    '- client-certificate string',
    '- client-key string',
    '- embed-certs bool false',
    '- exec-api-version string',
    '- exec-arg stringSlice []',
    '- exec-command string',
    '- exec-env stringArray []',
    '- exec-interactive-mode string',
    '- exec-provide-cluster-info bool false',
    '- password string',
    '- token string',
    '- username string',
)),
'config unset': ((), (
)),
'config use-context': (('use',), (
)),
'config view': ((), (
    '- allow-missing-template-keys bool true',
    '- flatten bool false',
    '- merge bool true',
    '- minify bool false',
    'o output string yaml',
    '- raw bool false',
    '- show-managed-fields bool false',
    '- template string',
)),
'plugin': ((), (
)),
'plugin list': ((), (
    '- name-only bool false',
)),
'version': ((), (
    '- client bool false',
    'o output string',
)),
}
# fmt: on
