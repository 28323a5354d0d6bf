#!/usr/bin/env python3
"""Lists a crate's public API from rustdoc's JSON output, one line per item, sorted: the snapshot that
`scripts/public-api.sh` compares with `public-api/<crate>.txt`. Only what a user can name appears: items hidden
with `#[doc(hidden)]` (the generated-code contract under `__private`) are left out by rustdoc itself."""

import json
import sys


def main(path):
    doc = json.load(open(path))
    index = doc["index"]
    lines = set()

    def item(item_id):
        return index.get(str(item_id))

    def ty(t):
        if t is None:
            return "()"
        (kind, v), = t.items()
        if kind == "resolved_path":
            return v["path"] + args(v.get("args"))
        if kind == "primitive" or kind == "generic":
            return v
        if kind == "borrowed_ref":
            lifetime = (v["lifetime"] + " ") if v.get("lifetime") else ""
            return "&" + lifetime + ("mut " if v["is_mutable"] else "") + ty(v["type"])
        if kind == "tuple":
            return "(" + ", ".join(ty(x) for x in v) + ")"
        if kind == "slice":
            return "[" + ty(v) + "]"
        if kind == "array":
            return "[" + ty(v["type"]) + "; " + v["len"] + "]"
        if kind == "impl_trait":
            return "impl " + " + ".join(bound(b) for b in v)
        if kind == "dyn_trait":
            return "dyn " + " + ".join(p["trait"]["path"] + args(p["trait"].get("args")) for p in v["traits"])
        if kind == "qualified_path":
            return "<" + ty(v["self_type"]) + (" as " + v["trait"]["path"] if v.get("trait") else "") + ">::" + v["name"]
        if kind == "raw_pointer":
            return "*" + ("mut " if v["is_mutable"] else "const ") + ty(v["type"])
        if kind == "function_pointer":
            return "fn(" + ", ".join(ty(x[1]) for x in v["sig"]["inputs"]) + ") -> " + ty(v["sig"]["output"])
        return kind

    def args(a):
        if not a:
            return ""
        if "angle_bracketed" in a:
            parts = []
            for x in a["angle_bracketed"]["args"]:
                if "type" in x:
                    parts.append(ty(x["type"]))
                elif "lifetime" in x:
                    parts.append(x["lifetime"])
                elif "const" in x:
                    parts.append(str(x["const"].get("expr")))
            for c in a["angle_bracketed"].get("constraints", []):
                binding = c.get("binding", {})
                if "equality" in binding and "type" in binding["equality"]:
                    parts.append(c["name"] + " = " + ty(binding["equality"]["type"]))
            return "<" + ", ".join(parts) + ">" if parts else ""
        if "parenthesized" in a:
            p = a["parenthesized"]
            return "(" + ", ".join(ty(x) for x in p["inputs"]) + ")" + (" -> " + ty(p["output"]) if p.get("output") else "")
        return ""

    def bound(b):
        if "trait_bound" in b:
            t = b["trait_bound"]["trait"]
            return t["path"] + args(t.get("args"))
        if "outlives" in b:
            return b["outlives"]
        return "?"

    def generics(g):
        params = []
        for p in g.get("params", []):
            kind = p["kind"]
            if "type" in kind:
                if kind["type"].get("is_synthetic"):
                    continue
                bounds = kind["type"].get("bounds", [])
                params.append(p["name"] + (": " + " + ".join(bound(b) for b in bounds) if bounds else ""))
            elif "lifetime" in kind:
                params.append(p["name"])
            elif "const" in kind:
                params.append("const " + p["name"] + ": " + ty(kind["const"]["type"]))
        wheres = []
        for w in g.get("where_predicates", []):
            if "bound_predicate" in w:
                bp = w["bound_predicate"]
                wheres.append(ty(bp["type"]) + ": " + " + ".join(bound(b) for b in bp["bounds"]))
        return ("<" + ", ".join(params) + ">" if params else ""), (" where " + ", ".join(wheres) if wheres else "")

    def function(name, f):
        gen, where = generics(f["generics"])
        sig = f["sig"]
        inputs = ", ".join(("self" if n == "self" else n + ": " + ty(t)) if n != "self" else render_self(t) for n, t in sig["inputs"])
        header = f.get("header", {})
        prefix = ("const " if header.get("is_const") else "") + ("async " if header.get("is_async") else "")
        out = sig.get("output")
        return prefix + "fn " + name + gen + "(" + inputs + ")" + (" -> " + ty(out) if out else "") + where

    def render_self(t):
        rendered = ty(t)
        return {"Self": "self", "&Self": "&self", "&mut Self": "&mut self"}.get(rendered, "self: " + rendered)

    def impls(path, impl_ids):
        for impl_id in impl_ids:
            imp = item(impl_id)
            if imp is None:
                continue
            inner = imp["inner"]["impl"]
            if inner.get("is_synthetic") or inner.get("blanket_impl") is not None:
                continue
            gen, where = generics(inner["generics"])
            if inner.get("trait"):
                t = inner["trait"]
                neg = "!" if inner.get("is_negative") else ""
                lines.add(f"impl{gen} {neg}{t['path']}{args(t.get('args'))} for {ty(inner['for'])}{where}")
                continue
            for member_id in inner["items"]:
                member = item(member_id)
                if member is None or member["visibility"] != "public":
                    continue
                kind, v = next(iter(member["inner"].items()))
                if kind == "function":
                    lines.add(f"pub {function(path + '::' + member['name'], v)}")
                elif kind == "assoc_const":
                    lines.add(f"pub const {path}::{member['name']}: {ty(v['type'])}")

    def emit(it, path, seen):
        kind, v = next(iter(it["inner"].items()))
        if kind == "module":
            walk(it, path, seen)
        elif kind == "struct":
            gen, where = generics(v["generics"])
            lines.add(f"pub struct {path}{gen}{where}")
            fields = v["kind"].get("plain", {}).get("fields", []) if isinstance(v["kind"], dict) else []
            tuple_fields = v["kind"].get("tuple", []) if isinstance(v["kind"], dict) else []
            for field_id in fields:
                f = item(field_id)
                if f and f["visibility"] == "public":
                    lines.add(f"pub {path}::{f['name']}: {ty(f['inner']['struct_field'])}")
            for n, field_id in enumerate(tuple_fields):
                f = item(field_id) if field_id is not None else None
                if f and f["visibility"] == "public":
                    lines.add(f"pub {path}::{n}: {ty(f['inner']['struct_field'])}")
            impls(path, v["impls"])
        elif kind == "enum":
            gen, where = generics(v["generics"])
            lines.add(f"pub enum {path}{gen}{where}")
            for variant_id in v["variants"]:
                variant = item(variant_id)
                vk = variant["inner"]["variant"]["kind"]
                fields = ""
                if isinstance(vk, dict) and "struct" in vk:
                    fields = " { " + ", ".join(item(f)["name"] + ": " + ty(item(f)["inner"]["struct_field"]) for f in vk["struct"]["fields"]) + " }"
                elif isinstance(vk, dict) and "tuple" in vk:
                    fields = "(" + ", ".join(ty(item(f)["inner"]["struct_field"]) for f in vk["tuple"] if f is not None) + ")"
                lines.add(f"pub {path}::{variant['name']}{fields}")
            impls(path, v["impls"])
        elif kind == "trait":
            gen, where = generics(v["generics"])
            lines.add(f"pub trait {path}{gen}{where}")
            for member_id in v["items"]:
                member = item(member_id)
                if member is None:
                    continue
                mk, mv = next(iter(member["inner"].items()))
                if mk == "function":
                    lines.add(f"pub {function(path + '::' + member['name'], mv)}")
                elif mk == "assoc_type":
                    lines.add(f"pub type {path}::{member['name']}")
        elif kind == "function":
            lines.add(f"pub {function(path, v)}")
        elif kind == "type_alias":
            gen, _ = generics(v["generics"])
            lines.add(f"pub type {path}{gen} = {ty(v['type'])}")
        elif kind == "constant":
            lines.add(f"pub const {path}: {ty(v['type'])}")
        elif kind == "static":
            lines.add(f"pub static {path}: {ty(v['type'])}")
        elif kind in ("macro", "proc_macro"):
            lines.add(f"pub macro {path}")
        else:
            lines.add(f"pub {kind} {path}")

    def walk(module, path, seen):
        if module["id"] in seen:
            return
        seen = seen | {module["id"]}
        for item_id in module["inner"]["module"]["items"]:
            it = item(item_id)
            if it is None or it["visibility"] != "public":
                continue
            if "use" in it["inner"]:
                use = it["inner"]["use"]
                target = item(use["id"]) if use.get("id") is not None else None
                name = use["name"]
                if target is None:
                    lines.add(f"pub use {path}::{name} = {use['source']}")
                elif use.get("is_glob") and "module" in target["inner"]:
                    # `pub use some::module::*`: the module's public items, at this module's path.
                    walk(target, path, seen)
                else:
                    emit(target, f"{path}::{name}", seen)
            else:
                emit(it, f"{path}::{it['name']}", seen)

    root = item(doc["root"])
    walk(root, root["name"], frozenset())
    print("\n".join(sorted(lines)))


if __name__ == "__main__":
    main(sys.argv[1])
