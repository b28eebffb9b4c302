"""Go encoding/json semantics on top of marshmallow (reference openim.md section 1.1, 1.5).

The server decodes each body with Go's encoding/json into the protobuf struct, so:
keys match case-insensitively (an exact match wins, the last key in the body sets the field),
unknown keys are ignored, ``null`` leaves a field at its zero value (a nil slice / unset wrapper),
and a value of the wrong JSON type ("1" for an int32, 1.5 for an int, true for a string) is an
error whose text becomes errMsg with errCode 1001. Lists keep the difference between ``null``
(None) and ``[]`` because the server's Check() methods tell them apart.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

INT_RANGES = {
    "int32": (-2**31, 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-2**63, 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}


def json_kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


class GoField(fields.Field):
    go_type = "any"

    def __init__(self, **kwargs):
        kwargs.setdefault("load_default", self.zero())
        kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)

    def zero(self):
        return None

    def mismatch(self, value, shown=None):
        kind = json_kind(value)
        if kind == "number" and shown is not None:
            kind = f"number {shown}"
        return ValidationError(f"json: cannot unmarshal {kind} into Go struct field "
                               f"{{struct}}.{{path}} of type {self.go_type}")

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return self.zero()
        return self.decode(value)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is None:   # Go: null keeps the zero value, never an error
            return self.zero()
        return super().deserialize(value, attr, data, **kwargs)

    def decode(self, value):
        return value


class GoString(GoField):
    go_type = "string"

    def zero(self):
        return ""

    def decode(self, value):
        if not isinstance(value, str):
            raise self.mismatch(value)
        return value


class GoInt(GoField):
    def __init__(self, kind: str = "int32", **kwargs):
        self.kind = kind
        self.go_type = kind
        super().__init__(**kwargs)

    def zero(self):
        return 0

    def decode(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.mismatch(value)
        lo, hi = INT_RANGES[self.kind]
        if isinstance(value, float) or not lo <= value <= hi:
            raise self.mismatch(value, shown=repr(value))
        return value


class GoBool(GoField):
    go_type = "bool"

    def zero(self):
        return False

    def decode(self, value):
        if not isinstance(value, bool):
            raise self.mismatch(value)
        return value


class OptBool(GoBool):
    """``optional bool`` in the proto: a *bool, nil when absent or null."""

    def zero(self):
        return None


class StringValue(GoString):
    """openim.protobuf.StringValue: a plain JSON string; absent or null = not set (None)."""

    go_type = "wrapperspb.StringValue"

    def zero(self):
        return None


class Int32Value(GoInt):
    """openim.protobuf.Int32Value: a plain JSON integer parsed with ParseInt (a quoted "1" fails)."""

    def __init__(self, **kwargs):
        super().__init__("int32", **kwargs)
        self.go_type = "wrapperspb.Int32Value"

    def zero(self):
        return None


class GoObject(GoField):
    """A JSON object kept as it came (send_msg ``content``: map[string]any); null = absent (None)."""
    go_type = "map[string]interface {}"

    def decode(self, value):
        if not isinstance(value, dict):
            raise self.mismatch(value)
        return value


class GoList(GoField):
    """A repeated field: None for null/absent (a nil slice), else a list of decoded items."""

    def __init__(self, inner: fields.Field, **kwargs):
        self.inner = inner
        super().__init__(**kwargs)
        self.go_type = "[]" + getattr(inner, "go_type", "object")

    def decode(self, value):
        if not isinstance(value, list):
            raise self.mismatch(value)
        out = []
        for item in value:
            if isinstance(self.inner, GoNested):
                out.append(self.inner.deserialize(item))
            elif item is None:
                out.append(self.inner.zero())
            else:
                out.append(self.inner.decode(item))
        return out


class GoNested(GoField):
    """A message field: None when absent or null (a nil pointer)."""

    def __init__(self, schema_cls, **kwargs):
        self.schema_cls = schema_cls
        self.go_type = schema_cls.__name__.removesuffix("Schema")
        super().__init__(**kwargs)

    def decode(self, value):
        if not isinstance(value, dict):
            raise self.mismatch(value)
        return self.schema_cls().load(value)


class GoSchema(Schema):
    """Base for every OpenIM body: Go key folding, unknown keys ignored."""

    class Meta:
        unknown = EXCLUDE

    def fast_compile(self):
        """core/fastload.py's compiled loader for this schema (fastgo.py), or None."""
        from .fastgo import compile_go_schema
        return compile_go_schema(self)

    @pre_load
    def fold_keys(self, data, **kwargs):
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ValidationError(f"json: cannot unmarshal {json_kind(data)} into Go value of type "
                                  f"{type(self).__name__.removesuffix('Schema')}")
        names = self.fields.keys()
        lower = {n.lower(): n for n in names}
        out: dict = {}
        for key, value in data.items():
            name = key if key in names else lower.get(key.lower()) if isinstance(key, str) else None
            if name is not None:
                out[name] = value
        return out


def go_error_text(messages, struct: str) -> str:
    """The first decoding error, with the struct name filled in as Go prints it."""
    path: list[str] = []

    def first(m):
        if isinstance(m, dict):
            for k, v in m.items():
                if k != "_schema":
                    path.append(str(k))
                return first(v)
        if isinstance(m, list):
            for item in m:
                return first(item)
        return str(m)

    text = first(messages)
    dotted = ".".join(p for p in path if not p.isdigit())
    return text.replace("{struct}", struct).replace("{path}", dotted or "?")
