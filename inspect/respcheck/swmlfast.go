package respcheck

import (
	"encoding/json"

	"github.com/swhook/swhook/inspect/jsonwalk"
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
	p := jsonwalk.SkipSpace(body)
	if len(p) == 0 || p[0] != '{' {
		return false
	}
	versionOK, sectionsOK := false, false
	err := jsonwalk.EachMember(p, func(name, value []byte) bool {
		switch {
		case jsonwalk.ASCIIFold(name, "version"):
			versionOK = string(value) == `"1.0.0"`
		case jsonwalk.ASCIIFold(name, "sections"):
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
	ok := jsonwalk.EachMember(value, func(name, v []byte) bool {
		hasMain = hasMain || string(name) == "main"
		return len(v) > 0 && v[0] == '['
	})
	return ok && hasMain
}
