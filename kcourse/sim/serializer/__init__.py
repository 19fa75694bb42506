"""The API server's decoder: every body is read into its kind's Go types before anything else looks at it.

kube-apiserver never validates a JSON document as such: it *unmarshals* the
body into the versioned Go struct of the kind (``v1.Pod``, ``apps/v1``
``Deployment`` …) with ``sigs.k8s.io/json``, Kubernetes' fork of Go's
``encoding/json`` (case-sensitive, integers preserved), and only then
defaults, converts and validates the typed object.  So a wrongly typed field
is answered at the door with 400 BadRequest in the decoder's words::

    Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into
    Go struct field ObjectMeta.metadata.labels of type string

and nothing downstream (defaulting, validation, controllers, the kubelet)
ever sees a malformed object.  This module does the same from the published
schema of Kubernetes v1.32 (the ``_definitions.json`` that the
``kubernetes-validate`` package ships, converted from the API server's own
OpenAPI document): each definition is compiled once per process into a small
tree of decoders, one per Go type, and a body is walked through it.

What the decoder copies from Go (``encoding/json``'s ``decode.go`` as forked
in ``sigs.k8s.io/json/internal/golang/encoding/json``):

* An ``UnmarshalTypeError`` — a string where an ``int32`` belongs, an object
  where a ``[]v1.Container`` belongs — is *saved* and decoding goes on; the
  first one saved is the answer.  Its ``Struct`` is the innermost Go struct's
  name and its ``Field`` the dotted JSON path of struct fields from the root
  (list indices and map keys are not part of it).  The value is ``string``,
  ``bool``, ``array``, ``object``, ``number`` — or ``number 1.5`` with the
  literal when a number does not fit an integer field (floats, overflow).
* ``null`` is Go's zero value: it leaves a field unset (here: the key is
  dropped), and inside a map or list it becomes the element's zero value
  (``""``, ``0``, ``{}``).
* Types with their own ``UnmarshalJSON`` stop decoding at once with their own
  error: ``intstr.IntOrString`` (a string, or whatever fits an ``int32``:
  ``json: cannot unmarshal bool into Go struct field … of type int32``),
  ``resource.Quantity`` (``quantities must match the regular expression …``,
  ``unable to parse quantity's suffix``), ``metav1.Time`` (RFC 3339).
* Unknown and duplicate fields are *strict* errors, collected (at most 100,
  each once) with a path that does carry indices and map keys
  (``unknown field "spec.containers[0].imagePullPolice"``), and reported only
  when nothing else was wrong.  What happens to them is the request's
  ``fieldValidation`` (``handlers/create.go``, ``update.go``, ``patch.go``):
  ``Strict`` refuses the request with ``strict decoding error: …`` (all of
  them, joined by ``", "``), ``Warn`` — the server's default when the
  parameter is absent, ``fieldValidation()`` in ``handlers/rest.go`` — drops
  the fields and answers with one warning each (``Warning: 299 - "unknown
  field …"``), ``Ignore`` drops them silently.  kubectl sends ``Strict`` (its
  ``--validate`` defaults to ``strict``), and so do ``Cluster.apply`` and
  ``cluster.kubectl(...)``.

Whatever passes is a fresh, well-typed copy of the body: the server's own
copy, which defaulting may then change freely.

Simplified: a Quantity keeps the text it was given (the real server stores
the canonical form, ``0.5`` → ``500m``) and a number given for it becomes its
JSON text; a ``[]byte`` (Secret ``data``) is checked as base64 but stays text;
the Go names of named string types (``v1.RestartPolicy``, ``v1.Protocol``…),
which the schema does not carry, come from a short table and default to
``string``; a duplicate key keeps the last value (Go would merge two objects).

The package follows apimachinery: :mod:`.gojson` (``encoding/json`` as Kubernetes forks it: reading JSON,
Go's number and string texts, the decoder's state and error texts), :mod:`.gotypes` (the typed-field checks,
one decoder per Go type), :mod:`.schema` (compiling the published schema into those decoders),
:mod:`.compiled` (each type's walk made once into a specialised function, with the walk of :mod:`.gotypes`
as its reference) and :mod:`.fieldvalidation` (the ``fieldValidation`` directives Strict, Warn and Ignore,
and :func:`decode`).
"""

from __future__ import annotations

from .fieldvalidation import FIELD_VALIDATION_DIRECTIVES, check_field_validation, decode
from .gojson import (
    MAX_STRICT_ERRORS,
    Number,
    go_field_path,
    go_float_text,
    go_quote,
    json_kind,
    loads,
    object_pairs,
    strict_path,
)
from .gotypes import QUANTITY_FORMAT_ERROR, QUANTITY_NUMERIC_ERROR, QUANTITY_SUFFIX_ERROR, quantity_error
from .schema import kind_definition

__all__ = [
    "FIELD_VALIDATION_DIRECTIVES",
    "MAX_STRICT_ERRORS",
    "QUANTITY_FORMAT_ERROR",
    "QUANTITY_NUMERIC_ERROR",
    "QUANTITY_SUFFIX_ERROR",
    "Number",
    "check_field_validation",
    "decode",
    "go_field_path",
    "go_float_text",
    "go_quote",
    "json_kind",
    "kind_definition",
    "loads",
    "object_pairs",
    "quantity_error",
    "strict_path",
]
