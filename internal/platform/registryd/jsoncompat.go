package registryd

import (
	"encoding/json"
	"fmt"
	"sort"
)

// jsonCompatible reports why data valid under writer may be invalid under
// reader (nil: none found). It checks object schemas structurally, as far as
// they are declared: a property the reader requires that the writer did not,
// a property whose "type" differs, a property the writer declares that a
// closed reader (additionalProperties: false) does not; nested objects and
// array items recursively. $ref, allOf/anyOf/oneOf and conditionals are
// not compared (docs/schema-registry.md).
func jsonCompatible(reader, writer string) ([]string, error) {
	var r, w map[string]any
	if err := json.Unmarshal([]byte(reader), &r); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(writer), &w); err != nil {
		return nil, err
	}
	var out []string
	jsonCompat(r, w, "$", &out)
	return out, nil
}

func jsonCompat(r, w map[string]any, path string, out *[]string) {
	if r == nil || w == nil {
		return
	}
	if rt, ok := r["type"]; ok {
		if wt, ok := w["type"]; ok && !typesCover(rt, wt) {
			*out = append(*out, fmt.Sprintf("%s: type %v does not accept type %v", path, rt, wt))
			return
		}
	}
	wreq := set(w["required"])
	for _, p := range sortedSet(set(r["required"])) {
		if !wreq[p] {
			*out = append(*out, fmt.Sprintf("%s.%s: required now, optional before", path, p))
		}
	}
	rp, _ := r["properties"].(map[string]any)
	wp, _ := w["properties"].(map[string]any)
	names := make([]string, 0, len(wp))
	for n := range wp {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rs, inReader := rp[n].(map[string]any)
		if !inReader {
			if ap, ok := r["additionalProperties"].(bool); ok && !ap {
				*out = append(*out, fmt.Sprintf("%s.%s: no longer allowed (additionalProperties: false)", path, n))
			}
			continue
		}
		ws, _ := wp[n].(map[string]any)
		jsonCompat(rs, ws, path+"."+n, out)
	}
	ri, _ := r["items"].(map[string]any)
	wi, _ := w["items"].(map[string]any)
	jsonCompat(ri, wi, path+"[]", out)
}

// typesCover: every type the writer allows, the reader allows ("integer"
// is a "number").
func typesCover(r, w any) bool {
	rs, ws := typeList(r), typeList(w)
	for t := range ws {
		if !rs[t] && !(t == "integer" && rs["number"]) {
			return false
		}
	}
	return true
}

func typeList(v any) map[string]bool {
	out := map[string]bool{}
	switch x := v.(type) {
	case string:
		out[x] = true
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				out[s] = true
			}
		}
	}
	return out
}

func set(v any) map[string]bool {
	out := map[string]bool{}
	if a, ok := v.([]any); ok {
		for _, e := range a {
			if s, ok := e.(string); ok {
				out[s] = true
			}
		}
	}
	return out
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
