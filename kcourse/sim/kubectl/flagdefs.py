"""kubectl v1.32's command tree and every flag of every command, with its shorthand, type and default.

Derived from the kubectl v1.32 binary itself: ``kubectl <command> --help``
(the ``Options:`` section, whose ``--name=default`` lines cobra's usage
template prints from each command's flag set, defined in
``staging/src/k8s.io/kubectl/pkg/cmd/<command>/<command>.go``) and
``kubectl options`` for the global flags (``*``, kubectl's persistent flags
from ``cmd.go``, ``genericclioptions.ConfigFlags`` and klog).  Each flag's
pflag type was read from the parse error the binary gives for a wrong value
(``strconv.ParseBool`` → ``bool``, ``strconv.ParseInt`` → ``int`` or, when
``99999999999`` is out of range, ``int32``, ``time: invalid duration`` →
``duration``, a CSV error → ``stringSlice``); ``string=X`` marks a string
flag with pflag's ``NoOptDefVal`` X (``--dry-run`` alone means
``unchanged``).

The table is kept per command group, as ``kubectl --help`` lists them
(:mod:`.flagdefs_basic`, ``_deploy``, ``_cluster``, ``_troubleshooting``,
``_advanced``, ``_settings``, ``_other``), and merged here in the order
of the command paths.

Each entry: ``path: (aliases, ("<shorthand or -> <name> <type> [<default>]", ...))``; the flag sets
several commands add together (kubectl's ``PrintFlags``, ``FileNameFlags``, ``DeleteFlags``) are named
once in :mod:`.flagsets`.

Simplified: hidden and deprecated flags (not in ``--help``) are not listed,
so they are unknown flags here.
"""

from . import (
    flagdefs_advanced,
    flagdefs_basic,
    flagdefs_cluster,
    flagdefs_deploy,
    flagdefs_other,
    flagdefs_settings,
    flagdefs_troubleshooting,
)

TREE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = dict(
    sorted(
        [
            *flagdefs_basic.TREE.items(),
            *flagdefs_deploy.TREE.items(),
            *flagdefs_cluster.TREE.items(),
            *flagdefs_troubleshooting.TREE.items(),
            *flagdefs_advanced.TREE.items(),
            *flagdefs_settings.TREE.items(),
            *flagdefs_other.TREE.items(),
        ]
    )
)
