package respcheck

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/swhook/swhook/inspect/exchange"
)

// SWML (developer.signalwire.com/swml): a JSON or YAML document with
// version "1.0.0" (the only supported version) and sections, of which main
// is where execution starts; every section is a list of methods.

const swmlVersion = "1.0.0"

// checkSWMLJSON grades a SWML JSON document: at once when it is a plain one
// plainSWMLJSONOK vouches for, else through decodeSWMLJSON.
func checkSWMLJSON(d domain, body []byte, truncated bool) exchange.Check {
	if plainSWMLJSONOK(body) {
		return exchange.Check{Status: exchange.CheckOK}
	}
	return decodeSWMLJSON(d, body, truncated)
}

func decodeSWMLJSON(d domain, body []byte, truncated bool) exchange.Check {
	var doc struct {
		Version  json.RawMessage `json:"version"`
		Sections json.RawMessage `json:"sections"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		if truncated {
			return warnf("answer is larger than the capture limit; only its start was checked")
		}
		return errorf("malformed SWML JSON: %s; %s", firstLine(err.Error()), d.consequence())
	}
	var version string
	if len(doc.Version) > 0 && !bytes.Equal(doc.Version, []byte("null")) {
		if err := json.Unmarshal(doc.Version, &version); err != nil {
			return errorf("SWML version must be the string %q; %s", swmlVersion, d.consequence())
		}
	}
	if len(doc.Sections) == 0 || bytes.Equal(doc.Sections, []byte("null")) {
		return missingSections(d, version)
	}
	var sections map[string]json.RawMessage
	if err := json.Unmarshal(doc.Sections, &sections); err != nil {
		return errorf("SWML sections must be an object of named method lists; %s", d.consequence())
	}
	kinds := make(map[string]string, len(sections))
	for name, raw := range sections {
		kinds[name] = jsonKind(raw)
	}
	return checkSections(d, version, kinds)
}

func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "null"
	}
	switch raw[0] {
	case '[':
		return "list"
	case '{':
		return "object"
	case '"':
		return "string"
	case 'n':
		return "null"
	}
	return "scalar"
}

func checkSWMLYAML(d domain, body []byte, truncated bool) (c exchange.Check) {
	// yaml.v3 has panicked on hostile input before; a check must never take
	// the pipeline down with it.
	defer func() {
		if recover() != nil {
			c = errorf("answer is neither cXML nor SWML; %s", d.consequence())
		}
	}()
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		if truncated {
			return warnf("answer is larger than the capture limit; only its start was checked")
		}
		return errorf("answer is neither cXML (<Response>) nor SWML (version and sections.main); %s", d.consequence())
	}
	var version string
	var sections *yaml.Node
	doc := root.Content[0]
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		switch k.Value {
		case "version":
			if v.Kind != yaml.ScalarNode {
				return errorf("SWML version must be the string %q; %s", swmlVersion, d.consequence())
			}
			version = v.Value
		case "sections":
			sections = v
		}
	}
	if sections == nil || (sections.Kind == yaml.ScalarNode && sections.Tag == "!!null") {
		return missingSections(d, version)
	}
	if sections.Kind == yaml.AliasNode && sections.Alias != nil {
		sections = sections.Alias
	}
	if sections.Kind != yaml.MappingNode {
		return errorf("SWML sections must be a map of named method lists; %s", d.consequence())
	}
	kinds := make(map[string]string, len(sections.Content)/2)
	for i := 0; i+1 < len(sections.Content); i += 2 {
		v := sections.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		kind := "scalar"
		switch {
		case v.Kind == yaml.SequenceNode:
			kind = "list"
		case v.Kind == yaml.MappingNode:
			kind = "object"
		case v.Tag == "!!null":
			kind = "null"
		}
		kinds[sections.Content[i].Value] = kind
	}
	return checkSections(d, version, kinds)
}

func missingSections(d domain, version string) exchange.Check {
	if version == "" {
		return errorf("answer is neither cXML (<Response>) nor SWML (version and sections.main); %s", d.consequence())
	}
	return errorf("SWML has no sections; add sections.main, where execution starts")
}

// checkSections applies the rules common to both notations, given each
// section's name and JSON-ish kind.
func checkSections(d domain, version string, kinds map[string]string) exchange.Check {
	mainKind, ok := kinds["main"]
	switch {
	case !ok:
		return errorf("SWML has no sections.main; execution starts there: %s", d.consequence())
	case mainKind != "list":
		return errorf("SWML sections.main must be a list of methods, not %s", article(mainKind))
	}
	for _, name := range slices.Sorted(maps.Keys(kinds)) {
		if kinds[name] != "list" {
			return errorf("SWML section %q must be a list of methods, not %s", name, article(kinds[name]))
		}
	}
	switch version {
	case "":
		return errorf("SWML has no version; add version: %q", swmlVersion)
	case swmlVersion:
		return exchange.Check{Status: exchange.CheckOK}
	}
	return warnf("SWML version is %q; the only supported version is %q", clip(version), swmlVersion)
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

func article(kind string) string {
	switch kind {
	case "object":
		return "an object"
	case "null":
		return "empty"
	}
	return "a " + kind
}
