package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Assignment is one Name=Value from --set or --header.
type Assignment struct {
	Name, Value string
}

// ParseAssignment reads "Name=Value" as typed on the command line; the value
// may itself contain '=' and may be empty.
func ParseAssignment(s string) (Assignment, error) {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return Assignment{}, fmt.Errorf("%q is not Name=Value", s)
	}
	return Assignment{Name: name, Value: value}, nil
}

// bodyKind is how a webhook carries its parameters.
type bodyKind int

const (
	kindOther bodyKind = iota
	kindForm
	kindJSON
)

func kindOf(contentType string, body []byte) bodyKind {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch {
	case mt == "application/x-www-form-urlencoded":
		return kindForm
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return kindJSON
	case mt == "":
		t := bytes.TrimSpace(body)
		if len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
			return kindJSON
		}
	}
	return kindOther
}

// applySets applies --set edits: to a form body, to a JSON body (dotted
// path), or — for a GET or body-less webhook — to the query string.
func applySets(method, contentType string, body []byte, query string, sets []Assignment) ([]byte, string, error) {
	switch kindOf(contentType, body) {
	case kindForm:
		s := string(body)
		for _, a := range sets {
			s = SetFormParam(s, a.Name, a.Value)
		}
		return []byte(s), query, nil
	case kindJSON:
		var err error
		for _, a := range sets {
			if body, err = SetJSONField(body, a.Name, JSONValue(a.Value)); err != nil {
				return nil, "", fmt.Errorf("--set %s: %w", a.Name, err)
			}
		}
		return body, query, nil
	}
	if len(body) == 0 {
		for _, a := range sets {
			query = SetFormParam(query, a.Name, a.Value)
		}
		return body, query, nil
	}
	return nil, "", fmt.Errorf("--set edits form and JSON bodies; this %s body is %q", method, contentType)
}

// SetFormParam sets one parameter of a form-encoded string: the first
// parameter with that name gets the new value, later ones with the same
// name are removed, and every other parameter keeps its place and its
// exact encoding. A new name is appended.
func SetFormParam(form, name, value string) string {
	enc := url.QueryEscape(name) + "=" + url.QueryEscape(value)
	if form == "" {
		return enc
	}
	parts := strings.Split(form, "&")
	out := parts[:0:0]
	done := false
	for _, part := range parts {
		k, _, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil && dk == name {
			if !done {
				out = append(out, enc)
				done = true
			}
			continue
		}
		out = append(out, part)
	}
	if !done {
		out = append(out, enc)
	}
	return strings.Join(out, "&")
}

// JSONValue turns a --set value into JSON: itself when it is valid JSON
// (numbers, true, null, objects), otherwise a JSON string.
func JSONValue(v string) json.RawMessage {
	if t := strings.TrimSpace(v); t != "" && json.Valid([]byte(t)) {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(v)
	return b
}

// SetJSONField replaces the value at a dotted path (a.b.c) of a JSON object
// in place: every other byte of the document — key order, spacing — stays
// as it was. A missing key is added to its object, creating intermediate
// objects as needed.
func SetJSONField(doc []byte, path string, value json.RawMessage) ([]byte, error) {
	keys := strings.Split(path, ".")
	for _, k := range keys {
		if k == "" || !utf8.ValidString(k) {
			return nil, fmt.Errorf("%q is not a dotted path like params.call_state", path)
		}
	}
	if !json.Valid(value) {
		return nil, errors.New("the value is not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	start, end, insert, err := locate(dec, keys, path)
	if err != nil {
		return nil, err
	}
	// Nothing but whitespace may follow the document.
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the body is not one JSON document")
	}
	var out bytes.Buffer
	out.Write(doc[:start])
	if insert != nil {
		out.Write(insert(value))
	} else {
		out.Write(value)
	}
	out.Write(doc[end:])
	return out.Bytes(), nil
}

// locate finds the byte span to replace for keys in the object the decoder
// is about to read. When the key is missing, start == end is the position
// of the object's closing brace and insert builds the member to add there.
func locate(dec *json.Decoder, keys []string, path string) (start, end int64, insert func(json.RawMessage) []byte, err error) {
	tok, err := dec.Token()
	if err != nil {
		return 0, 0, nil, fmt.Errorf("the body is not valid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return 0, 0, nil, fmt.Errorf("%s: not inside a JSON object", path)
	}
	members := 0
	found := false
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return 0, 0, nil, fmt.Errorf("the body is not valid JSON: %w", err)
		}
		key, _ := kt.(string)
		members++
		if key == keys[0] && !found {
			found = true
			if len(keys) == 1 {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return 0, 0, nil, fmt.Errorf("the body is not valid JSON: %w", err)
				}
				end = dec.InputOffset()
				start = end - int64(len(raw))
			} else {
				start, end, insert, err = locate(dec, keys[1:], path)
				if err != nil {
					return 0, 0, nil, err
				}
			}
			continue
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return 0, 0, nil, fmt.Errorf("the body is not valid JSON: %w", err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return 0, 0, nil, fmt.Errorf("the body is not valid JSON: %w", err)
	}
	if found {
		return start, end, insert, nil
	}
	brace := dec.InputOffset() - 1
	sep := ","
	if members == 0 {
		sep = ""
	}
	return brace, brace, func(v json.RawMessage) []byte {
		var b bytes.Buffer
		b.WriteString(sep)
		for i, k := range keys {
			kb, _ := json.Marshal(k)
			if i > 0 {
				b.WriteByte('{')
			}
			b.Write(kb)
			b.WriteByte(':')
		}
		b.Write(v)
		b.WriteString(strings.Repeat("}", len(keys)-1))
		return b.Bytes()
	}, nil
}
