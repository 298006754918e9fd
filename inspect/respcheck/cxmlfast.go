package respcheck

import "bytes"

// plainDecls are the XML declarations plainCXMLOK accepts: the ones
// handlers print, all saying UTF-8, so the decoder would read the bytes as
// they are.
var plainDecls = [][]byte{
	[]byte(`<?xml version="1.0" encoding="UTF-8"?>`),
	[]byte(`<?xml version="1.0" encoding="utf-8"?>`),
	[]byte(`<?xml version="1.0"?>`),
	[]byte(`<?xml version='1.0' encoding='UTF-8'?>`),
}

// maxPlainDepth bounds the nesting plainCXMLOK follows; cXML is shallow.
const maxPlainDepth = 8

// plainCXMLOK says whether body is a plain cXML document that checkCXML's
// decoder pass would grade OK: an optional UTF-8 declaration, then elements
// with ASCII names and attributes, ASCII text without entities, verbs and
// nouns all known to domain d. It reads the bytes once without allocating,
// where the decoder costs a few microseconds and some thirty allocations
// on every webhook. Anything it does not fully understand — comments,
// CDATA, entities, namespaces, non-ASCII text, unknown or misspelt
// names — makes it answer false, and the decoder then grades the document
// as before; so it never changes a verdict, only how fast the usual OK
// is reached.
func plainCXMLOK(d domain, body []byte) bool {
	p := body
	for _, decl := range plainDecls {
		if bytes.HasPrefix(p, decl) {
			p = p[len(decl):]
			break
		}
	}
	var open [maxPlainDepth][]byte
	depth := 0
	rootDone := false
	var verb []byte
	for len(p) > 0 {
		if p[0] != '<' {
			i := 0
			for ; i < len(p) && p[i] != '<'; i++ {
				if c := p[i]; !plainText(c) || depth == 0 && !xmlSpace(c) {
					return false
				}
			}
			p = p[i:]
			continue
		}
		if len(p) > 1 && p[1] == '/' {
			name, rest, ok := plainName(p[2:])
			if !ok {
				return false
			}
			rest = skipXMLSpace(rest)
			if len(rest) == 0 || rest[0] != '>' || depth == 0 || !bytes.Equal(open[depth-1], name) {
				return false
			}
			depth--
			rootDone = depth == 0
			p = rest[1:]
			continue
		}
		if rootDone {
			return false
		}
		name, rest, ok := plainName(p[1:])
		if !ok {
			return false
		}
		switch depth {
		case 0:
			if string(name) != "Response" {
				return false
			}
		case 1:
			if !d.verbs()[string(name)] {
				return false
			}
			verb = name
		case 2:
			if allowed, ok := nouns[string(verb)]; ok && !allowed[string(name)] {
				return false
			}
		}
		// Attributes, each name="value" after white space, then > or />.
		for {
			n := len(rest)
			rest = skipXMLSpace(rest)
			spaced := len(rest) < n
			if len(rest) == 0 {
				return false
			}
			if rest[0] == '>' {
				if depth == len(open) {
					return false
				}
				open[depth] = name
				depth++
				rest = rest[1:]
				break
			}
			if rest[0] == '/' {
				if len(rest) < 2 || rest[1] != '>' {
					return false
				}
				rootDone = depth == 0
				rest = rest[2:]
				break
			}
			if !spaced {
				return false
			}
			_, r, ok := plainName(rest)
			if !ok || len(r) < 2 || r[0] != '=' || r[1] != '"' && r[1] != '\'' {
				return false
			}
			q := r[1]
			r = r[2:]
			end := bytes.IndexByte(r, q)
			if end < 0 {
				return false
			}
			for _, c := range r[:end] {
				if c < 0x20 || c >= 0x7f || c == '<' || c == '&' || c == '>' {
					return false
				}
			}
			rest = r[end+1:]
		}
		p = rest
	}
	return rootDone && depth == 0
}

// plainName reads an ASCII XML name without a namespace prefix.
func plainName(p []byte) (name, rest []byte, ok bool) {
	i := 0
	for ; i < len(p); i++ {
		c := p[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '-' || c == '.')) {
			break
		}
	}
	return p[:i], p[i:], i > 0
}

// plainText is a byte of text plainCXMLOK takes as it is: printable ASCII
// or XML white space, and nothing that starts an entity or could end a
// CDATA section.
func plainText(c byte) bool {
	return xmlSpace(c) || 0x20 <= c && c < 0x7f && c != '&' && c != '>' && c != ']'
}

func xmlSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipXMLSpace(p []byte) []byte {
	for len(p) > 0 && xmlSpace(p[0]) {
		p = p[1:]
	}
	return p
}
