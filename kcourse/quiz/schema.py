"""The JSON Schema of a question bank.

Kept as Python data so the loader needs no file next to the installed
package; ``kcourse/quiz/banks/schema.json`` is this same schema written out for editors
(``kcourse quiz schema > kcourse/quiz/banks/schema.json``), and a test keeps the two equal.

The scenario vocabulary is closed on purpose: every action and query a bank
may name is listed here, and :mod:`kcourse.quiz.scenario` maps each to one
call of the simulated cluster.  Nothing a bank says is ever evaluated.

Every number is bounded, so a 400-digit answer or tolerance is a schema
error with its line, never an ``OverflowError`` later: keys and tolerances
within ±:data:`MAX_NUMBER`, seeds within 32 bits.  Every question needs at
least one hint (a hint-less question leaves a stuck learner nothing between
guessing and "Show answer").
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["ACTIONS", "KUBECTL_VERBS", "MAX_NUMBER", "QUERIES", "SCHEMA", "question_fields", "schema_json"]

#: Largest key or tolerance of a numeric question: far beyond any quantity in the course, exact in a float.
MAX_NUMBER = 1e15
_SEED = {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}

KUBECTL_VERBS = (
    "scale",
    "delete",
    "cordon",
    "uncordon",
    "drain",
    "label",
    "annotate",
    "taint",
    "rollout",
    "get",
    "describe",
    "create",
)

_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000}
_SHORT = {"type": "string", "minLength": 1, "maxLength": 300}
_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"}
_NODE = {"type": "string", "pattern": "^[a-z0-9][a-z0-9.-]{0,62}$"}
_POD_KEY = {
    "type": "string",
    "pattern": "^[a-z0-9][a-z0-9-]{0,62}/[a-z0-9][a-z0-9.-]{0,252}$",
    "description": "namespace/name of a Pod",
}
_OPTION = {
    "oneOf": [
        _SHORT,
        {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {"text": _SHORT, "feedback": _TEXT},
        },
    ]
}
_OPTIONS = {"type": "array", "items": _OPTION, "minItems": 2, "maxItems": 12}
_STRINGS = {"type": "array", "items": _SHORT, "minItems": 1, "maxItems": 20}


def _single_key(props: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly one of ``props`` as its only key."""
    return {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
        "properties": props,
    }


def _args(required: list[str], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "additionalProperties": False, "properties": props}


ACTIONS: dict[str, Any] = {
    "apply": {
        "type": "object",
        "required": ["apiVersion", "kind"],
        "description": "a Kubernetes manifest applied with Cluster.apply",
    },
    "kubectl": {
        "type": "string",
        "maxLength": 200,
        "pattern": "^(" + "|".join(KUBECTL_VERBS) + ") [A-Za-z0-9 ./=:,_-]+$",
        "description": "a kubectl command line without 'kubectl', e.g. 'scale deployment web --replicas=5'",
    },
    "fail_node": _NODE,
    "recover_node": _NODE,
    "partition_node": _NODE,
    "stop_master": _NODE,
    "run_until_stable": {"const": True},
    "advance": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
    "run_until": {"type": "number", "minimum": 0, "maximum": 86400},
    "step": {"type": "integer", "minimum": 1, "maximum": 100000},
    "compact": {
        "oneOf": [{"const": True}, {"type": "integer", "minimum": 1, "maximum": 10**9}],
        "description": "compact etcd at the current revision (true) or at a given one",
    },
}

QUERIES: dict[str, Any] = {
    "count_pods": _args(
        [],
        {
            "node": _NODE,
            "namespace": _ID,
            "phase": {"enum": ["Pending", "Running", "Succeeded", "Failed", "Unknown", "any"]},
            "selector": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 10},
        },
    ),
    "pod_node": _args(["pod"], {"pod": _POD_KEY}),
    "scheduled_node": _args(["pod"], {"pod": _POD_KEY}),
    "deciding_plugin": _args(["pod"], {"pod": _POD_KEY}),
    "etcd_revision": _args([], {}),
    "etcd_compact_revision": _args([], {}),
    "etcd_revisions_since_compaction": _args([], {}),
    "node_condition": _args(
        ["node"],
        {
            "node": _NODE,
            "type": {
                "enum": ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"]
            },
        },
    ),
    "field": _args(
        ["resource", "name", "path"],
        {
            "resource": {"type": "string", "pattern": "^[a-z]+$"},
            "name": _NODE,
            "namespace": _ID,
            "path": {"type": "string", "pattern": r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"},
        },
    ),
    "now": _args([], {}),
}

_SCENARIO = {
    "type": "object",
    "required": ["cluster"],
    "additionalProperties": False,
    "properties": {
        "cluster": _args(
            [],
            {
                "masters": {"type": "integer", "minimum": 1, "maximum": 5},
                "workers": {"type": "integer", "minimum": 0, "maximum": 50},
                "runtime": {"enum": ["dockershim", "containerd", "cri-o"]},
                "oci_runtime": {"enum": ["runc", "kata"]},
                "seed": _SEED,
            },
        ),
        "manifests": {
            "type": "array",
            "maxItems": 20,
            "items": {"type": "object", "required": ["apiVersion", "kind"]},
        },
        "actions": {"type": "array", "maxItems": 50, "items": _single_key(ACTIONS)},
    },
}

_COMMON = {
    "id": _ID,
    "type": {
        "enum": ["single", "multiple", "true_false", "numeric", "text", "matching", "ordering", "simulation"]
    },
    "section": _ID,
    "objective": _ID,
    "prompt": _TEXT,
    "points": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
    "hints": {"type": "array", "items": _TEXT, "minItems": 1, "maxItems": 5},
    "explanation": _TEXT,
    "attempts": {"type": "integer", "minimum": 1, "maximum": 20},
    "shuffle": {"type": "boolean"},
}

_NUMBER_KEY = {
    "tolerance": {"type": "number", "minimum": 0, "maximum": MAX_NUMBER},
    "unit": {"type": "string", "maxLength": 20},
}

_BY_TYPE: dict[str, dict[str, Any]] = {
    "single": _args(["options", "answer"], {"options": _OPTIONS, "answer": _SHORT}),
    "multiple": _args(["options", "answers"], {"options": _OPTIONS, "answers": _STRINGS}),
    "true_false": _args(
        ["answer"], {"answer": {"type": "boolean"}, "feedback": _args([], {"true": _TEXT, "false": _TEXT})}
    ),
    "numeric": _args(
        ["answer"],
        {"answer": {"type": "number", "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER}, **_NUMBER_KEY},
    ),
    "text": {
        **_args([], {"answers": _STRINGS, "pattern": {"type": "string", "minLength": 4, "maxLength": 200}}),
        "anyOf": [{"required": ["answers"]}, {"required": ["pattern"]}],
    },
    "matching": _args(
        ["pairs"],
        {
            "pairs": {
                "type": "array",
                "minItems": 2,
                "maxItems": 10,
                "items": _args(["left", "right"], {"left": _SHORT, "right": _SHORT}),
            },
            "distractors": {"type": "array", "items": _SHORT, "maxItems": 5},
        },
    ),
    "ordering": _args(
        ["items"], {"items": {"type": "array", "items": _SHORT, "minItems": 3, "maxItems": 10}}
    ),
    "simulation": _args(
        ["scenario", "query", "expect"],
        {
            "scenario": _SCENARIO,
            "query": _single_key(QUERIES),
            "expect": {"enum": ["choice", "number"]},
            "options": _OPTIONS,
            **_NUMBER_KEY,
        },
    ),
}


def question_fields(qtype: str) -> set[str]:
    """The fields a question of type ``qtype`` may have."""
    return set(_COMMON) | set(_BY_TYPE.get(qtype, {}).get("properties", {}))


def _question_schema() -> dict[str, Any]:
    """Common fields plus, per type, exactly that type's fields (no typos slip through)."""
    branches = []
    for name, spec in _BY_TYPE.items():
        then = {k: v for k, v in spec.items() if k != "additionalProperties"}
        branches.append({"if": {"properties": {"type": {"const": name}}, "required": ["type"]}, "then": then})
    return {
        "type": "object",
        "required": ["id", "type", "section", "objective", "prompt"],
        "properties": _COMMON,
        "allOf": branches,
        "unevaluatedProperties": False,
    }


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://kcourse.example/quizzes/schema.json",
    "title": "kcourse question bank",
    "type": "object",
    "required": ["chapter", "title", "objectives", "sections", "questions"],
    "additionalProperties": False,
    "properties": {
        "chapter": {"type": "string", "pattern": "^ch[0-9]{2}$"},
        "title": _SHORT,
        "seed": {**_SEED, "description": "seed for shuffling options"},
        "objectives": {
            "type": "array",
            "minItems": 1,
            "items": _args(["id", "text"], {"id": _ID, "text": _TEXT}),
        },
        "sections": {
            "type": "array",
            "minItems": 1,
            "items": _args(["id", "title"], {"id": _ID, "title": _SHORT}),
        },
        "questions": {"type": "array", "minItems": 1, "maxItems": 500, "items": _question_schema()},
    },
}


def schema_json() -> str:
    """The schema as the text of ``kcourse/quiz/banks/schema.json``."""
    return json.dumps(SCHEMA, indent=2, sort_keys=True) + "\n"
