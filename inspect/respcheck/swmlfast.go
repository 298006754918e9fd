package respcheck

import (
	"bytes"
	"encoding/json"
)

// plainSWMLJSONOK says whether body is a SWML JSON document checkSWMLJSON
// would grade OK: a JSON object whose "version" is "1.0.0" and whose
// "sections" object holds only lists, main among them. It validates with
// json.Valid and then walks the members once, where checkSWMLJSON decodes
// three times into raw messages and a map — some thirty allocations on
// every SWML webhook. It answers false whenever it is not certain: a member
// name with an escape or a non-ASCII byte (encoding/json matches field
// names by Unicode case folding), anything but a list in a section, a
// version other than the plain string "1.0.0". The decoder then grades the
// document as before, so no verdict changes. Member names match "version"
// and "sections" case-insensitively and the last one wins, as encoding/json
// decodes into checkSWMLJSON's struct.
func plainSWMLJSONOK(body []byte) bool {
	if !json.Valid(body) {
		return false
	}
	p := skipJSONSpace(body)
	if len(p) == 0 || p[0] != '{' {
		return false
	}
	versionOK, sectionsOK := false, false
	err := eachMember(p, func(name, value []byte) bool {
		switch {
		case asciiFold(name, "version"):
			versionOK = string(value) == `"1.0.0"`
		case asciiFold(name, "sections"):
			sectionsOK = plainSections(value)
		}
		return true
	})
	return err && versionOK && sectionsOK
}

// plainSections says whether value is an object of lists with a "main".
// A repeated name needs no care: the decoder keeps the last, and all are
// lists.
func plainSections(value []byte) bool {
	if len(value) == 0 || value[0] != '{' {
		return false
	}
	hasMain := false
	ok := eachMember(value, func(name, v []byte) bool {
		hasMain = hasMain || string(name) == "main"
		return len(v) > 0 && v[0] == '['
	})
	return ok && hasMain
}

// eachMember calls fn with each member of the JSON object at the start of
// p (valid JSON, checked by the caller) until fn returns false; it returns
// false then, or when a member name has an escape or a non-ASCII byte.
func eachMember(p []byte, fn func(name, value []byte) bool) bool {
	p = skipJSONSpace(p[1:]) // past '{'
	for len(p) > 0 && p[0] != '}' {
		if p[0] == ',' {
			p = skipJSONSpace(p[1:])
		}
		end := bytes.IndexByte(p[1:], '"') + 1 // p[0] is the name's '"'
		if end <= 0 {
			return false
		}
		name := p[1:end]
		for _, c := range name {
			if c == '\\' || c >= 0x80 {
				return false
			}
		}
		p = skipJSONSpace(p[end+1:])
		p = skipJSONSpace(p[1:]) // past ':'
		n := jsonValueLen(p)
		if n <= 0 || !fn(name, p[:n]) {
			return false
		}
		p = skipJSONSpace(p[n:])
	}
	return true
}

// jsonValueLen is the length of the valid JSON value at the start of p.
func jsonValueLen(p []byte) int {
	depth := 0
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '"':
			for i++; i < len(p) && p[i] != '"'; i++ {
				if p[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of an enclosing object: a scalar ends here
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				return i
			}
		}
	}
	return len(p)
}

func skipJSONSpace(p []byte) []byte {
	for len(p) > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n') {
		p = p[1:]
	}
	return p
}

// asciiFold is strings.EqualFold for an ASCII name and a lower-case want.
func asciiFold(name []byte, want string) bool {
	if len(name) != len(want) {
		return false
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}
