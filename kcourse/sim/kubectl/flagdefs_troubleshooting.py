"""The flags of kubectl's "Troubleshooting and Debugging Commands" (as ``kubectl --help`` groups them):
describe, logs, attach, exec, port-forward, proxy, cp, auth, debug and events.

Same provenance and entry format as :mod:`.flagdefs`, which merges the groups into one tree.

Simplified: hidden and deprecated flags are not listed.
"""

from .flagsets import FILENAME_FLAGS, PRINT_FLAGS, flag_set

# fmt: off
TREE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
'attach': ((), (
    'c container string',
    '- pod-running-timeout duration 1m0s',
    'q quiet bool false',
    'i stdin bool false',
    't tty bool false',
)),
'auth': ((), (
)),
'auth can-i': ((), (
    'A all-namespaces bool false',
    '- list bool false',
    '- no-headers bool false',
    'q quiet bool false',
    '- subresource string',
)),
'auth reconcile': ((), flag_set(
    PRINT_FLAGS,
    FILENAME_FLAGS,
    '- dry-run string=unchanged none',
    '- remove-extra-permissions bool false',
    '- remove-extra-subjects bool false',
)),
'auth whoami': ((), flag_set(
    PRINT_FLAGS,
)),
'cp': ((), (
    'c container string',
    '- no-preserve bool false',
    '- retries int 0',
)),
'debug': ((), (
    '- arguments-only bool false',
    '- attach bool false',
    'c container string',
    '- copy-to string',
    '- custom string',
    '- env keyValue []',
    'f filename stringSlice []',
    '- image string',
    '- image-pull-policy string',
    '- keep-annotations bool false',
    '- keep-init-containers bool true',
    '- keep-labels bool false',
    '- keep-liveness bool false',
    '- keep-readiness bool false',
    '- keep-startup bool false',
    '- profile string legacy',
    'q quiet bool false',
    '- replace bool false',
    '- same-node bool false',
    '- set-image keyValue []',
    '- share-processes bool true',
    'i stdin bool false',
    '- target string',
    't tty bool false',
)),
'describe': ((), flag_set(
    FILENAME_FLAGS,
    'A all-namespaces bool false',
    '- chunk-size int 500',
    'l selector string',
    '- show-events bool true',
)),
'events': ((), flag_set(
    PRINT_FLAGS,
    'A all-namespaces bool false',
    '- chunk-size int 500',
    '- for string',
    '- no-headers bool false',
    '- types stringSlice []',
    'w watch bool false',
)),
'exec': ((), (
    'c container string',
    'f filename stringSlice []',
    '- pod-running-timeout duration 1m0s',
    'q quiet bool false',
    'i stdin bool false',
    't tty bool false',
)),
'logs': ((), (
    '- all-containers bool false',
    '- all-pods bool false',
    'c container string',
    'f follow bool false',
    '- ignore-errors bool false',
    '- insecure-skip-tls-verify-backend bool false',
    '- limit-bytes int 0',
    '- max-log-requests int 5',
    '- pod-running-timeout duration 20s',
    '- prefix bool false',
    'p previous bool false',
    'l selector string',
    '- since duration 0s',
    '- since-time string',
    '- tail int -1',
    '- timestamps bool false',
)),
'port-forward': ((), (
    '- address stringSlice [localhost]',
    '- pod-running-timeout duration 1m0s',
)),
'proxy': ((), (
    '- accept-hosts string ^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$',
    '- accept-paths string ^.*',
    '- address string 127.0.0.1',
    '- api-prefix string /',
    '- append-server-path bool false',
    '- disable-filter bool false',
    '- keepalive duration 0s',
    'p port int 8001',
    '- reject-methods string ^$',
    '- reject-paths string ^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach',
    'u unix-socket string',
    'w www string',
    'P www-prefix string /static/',
)),
}
# fmt: on
