"""Regenerates explain.json (kubectl explain's field table) from the OpenAPI schemas that
k8s-openapi 0.29 embeds for v1_34: run `python3 src/kubectl/explain_gen.py ROOT_TYPE... > src/kubectl/explain.json`
with the schema names of the kinds kubeglass serves (e.g. io.k8s.api.core.v1.Pod); set K8S_OPENAPI
to the crate's src/v1_34 folder if it is not in the default cargo registry path."""
import os, re, json, sys
ROOT = os.environ.get("K8S_OPENAPI", os.path.expanduser("~/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/k8s-openapi-0.29.0/src/v1_34"))
types = {}
def key_of(path):  # crate::api::core::v1::PodSpec -> io.k8s.api.core.v1.PodSpec
    p = path.replace('crate::', '').split('::')
    return 'io.k8s.' + '.'.join(p)
ref_block = re.compile(r'\(\{\s*let mut schema_obj = __gen\.subschema_for::<([\w:]+)>\(\);\s*schema_obj\.ensure_object\(\)\.insert\("description"\.into\(\), ("(?:[^"\\]|\\.)*")\.into\(\)\);\s*schema_obj\s*\}\)', re.S)
ref_simple = re.compile(r'\(__gen\.subschema_for::<([\w:]+)>\(\)\)')
ref_bare = re.compile(r'__gen\.subschema_for::<([\w:]+)>\(\)')  # a field without the parentheses (IngressRule.http)
for dirpath, _, files in os.walk(ROOT):
    for f in files:
        if not f.endswith('.rs'): continue
        text = open(os.path.join(dirpath, f)).read()
        m = re.search(r'// Generated from definition ([\w.]+)', text)
        if not m: continue
        name = m.group(1)
        s = text.find('crate::schemars::json_schema!(')
        if s < 0: continue
        body = text[s+len('crate::schemars::json_schema!('):]
        # find matching close paren of macro: the body ends with "})\n    }"
        e = body.find('})\n    }')
        body = body[:e+1]
        body = ref_block.sub(lambda m: '{"$ref": "%s", "description": %s}' % (key_of(m.group(1)), m.group(2)), body)
        body = ref_simple.sub(lambda m: '{"$ref": "%s"}' % key_of(m.group(1)), body)
        body = ref_bare.sub(lambda m: '{"$ref": "%s"}' % key_of(m.group(1)), body)
        body = re.sub(r',(\s*[}\]])', r'\1', body)
        try:
            types[name] = json.loads(body)
        except Exception as ex:
            print('skip', name, ex, file=sys.stderr)
def prim(t):
    return t.get('type') not in (None, 'object')
def type_guess(s):
    if 'items' in s: return '[]' + type_guess(s['items'])
    ap = s.get('additionalProperties')
    if isinstance(ap, dict): return 'map[string]' + type_guess(ap)
    if '$ref' in s:
        r = types.get(s['$ref'])
        if r is None or not r.get('type') or r.get('type') == 'object':
            return s['$ref'].split('.')[-1]
        return r['type']
    return 'Object' if s.get('type') == 'object' else (s.get('type') or 'Object')
def ref_of(s):
    if 'items' in s: return ref_of(s['items'])
    ap = s.get('additionalProperties')
    if isinstance(ap, dict): return ref_of(ap)
    return s.get('$ref')
roots = sys.argv[1:]
out = {}
todo = list(roots)
while todo:
    k = todo.pop()
    if k in out or k not in types: continue
    t = types[k]
    props = []
    # The served OpenAPI document does not require metadata; k8s-openapi's Rust types do.
    req = [r for r in t.get('required', []) if r != 'metadata']
    for pname in sorted(t.get('properties', {})):
        p = t['properties'][pname]
        r = ref_of(p)
        props.append([pname, type_guess(p), r, pname in req, p.get('description', '')])
        if r: todo.append(r)
    out[k] = {'d': t.get('description', ''), 'p': props}
json.dump(out, sys.stdout, separators=(',', ':'), sort_keys=True)
