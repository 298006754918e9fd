package respcheck

import (
	"bytes"
	"encoding/json"

	"github.com/swhook/swhook/inspect/jsonwalk"
	"github.com/swhook/swhook/inspect/swml"
)

// plainSWMLJSONOK says whether body is a SWML JSON document the parser
// would grade OK: a JSON object of exactly "version": "1.0.0" and
// "sections", an object of non-empty lists with main among them, each step
// one object naming a method swml.Unchecked accepts whatever its
// parameters, and no ${ or %{ anywhere. It validates with json.Valid and
// walks the members once, where the parser decodes the whole document into
// maps — dozens of allocations on every SWML webhook. It answers false
// whenever it is not certain (a name with an escape or a non-ASCII byte, a
// step whose parameters the parser checks); the parser then grades the
// document, so no verdict changes.
func plainSWMLJSONOK(body []byte, f swml.Flavor) bool {
	if bytes.Contains(body, []byte("${")) || bytes.Contains(body, []byte("%{")) || !json.Valid(body) {
		return false
	}
	p := jsonwalk.SkipSpace(body)
	if len(p) == 0 || p[0] != '{' {
		return false
	}
	versionOK, sectionsOK := false, false
	ok := jsonwalk.EachMember(p, func(name, value []byte) bool {
		switch string(name) {
		case "version":
			versionOK = string(value) == `"1.0.0"`
		case "sections":
			sectionsOK = plainSections(value, f)
		default:
			return false
		}
		return true
	})
	return ok && versionOK && sectionsOK
}

// plainSections says whether value is an object of plain step lists with a
// "main". A repeated name needs no care: the decoder keeps the last, and
// all are plain.
func plainSections(value []byte, f swml.Flavor) bool {
	if len(value) == 0 || value[0] != '{' {
		return false
	}
	hasMain := false
	ok := jsonwalk.EachMember(value, func(name, v []byte) bool {
		hasMain = hasMain || string(name) == "main"
		return plainSteps(v, f)
	})
	return ok && hasMain
}

// plainSteps says whether v is a non-empty list of steps, each a method
// name or an object of one member, naming an unchecked method.
func plainSteps(v []byte, f swml.Flavor) bool {
	if len(v) == 0 || v[0] != '[' {
		return false
	}
	p := jsonwalk.SkipSpace(v[1:])
	n := 0
	for len(p) > 0 && p[0] != ']' {
		if p[0] == ',' {
			p = jsonwalk.SkipSpace(p[1:])
		}
		l := jsonwalk.ValueLen(p)
		if l <= 0 || !plainStep(p[:l], f) {
			return false
		}
		n++
		p = jsonwalk.SkipSpace(p[l:])
	}
	return n > 0
}

func plainStep(e []byte, f swml.Flavor) bool {
	if s, ok := jsonwalk.PlainString(e); ok {
		return swml.Unchecked(f, s)
	}
	if e[0] != '{' {
		return false
	}
	members := 0
	ok := jsonwalk.EachMember(e, func(name, v []byte) bool {
		members++
		if f == swml.Calling && string(name) == "play" {
			return members == 1 && plainPlay(v)
		}
		return members == 1 && swml.Unchecked(f, string(name))
	})
	return ok && members == 1
}

// plainPlay says whether v is a play object with exactly one of url and
// urls, the one rule the parser checks on play.
func plainPlay(v []byte) bool {
	if len(v) == 0 || v[0] != '{' {
		return false
	}
	url, urls := 0, 0
	ok := jsonwalk.EachMember(v, func(name, _ []byte) bool {
		switch string(name) {
		case "url":
			url++
		case "urls":
			urls++
		}
		return true
	})
	return ok && url+urls == 1
}
