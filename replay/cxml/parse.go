// Package cxml runs cXML the way SignalWire's Compatibility API does: a
// voice document verb by verb (Say, Gather, Record, Dial, Redirect, …) and
// a messaging answer (Message, Redirect), following every action and
// callback through a call.Session, so a developer sees the whole call their
// handler produces without placing one.
package cxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/swhook/swhook/inspect/delivery"
)

// Node is one element of a cXML document.
type Node struct {
	Name     string
	Attrs    []xml.Attr
	Text     string // character data directly inside, trimmed
	Children []*Node
}

// Attr is the attribute's value, or def when absent. Attribute names are
// case-sensitive, as SignalWire reads them.
func (n *Node) Attr(name, def string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return def
}

// Has reports whether the attribute is present.
func (n *Node) Has(name string) bool {
	for _, a := range n.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return true
		}
	}
	return false
}

// maxDepth bounds nesting: real cXML nests three deep (Response, Dial,
// Number); anything far deeper is not a document SignalWire runs.
const maxDepth = 32

// maxNodes bounds the elements of one document (64 kB of answer cannot
// hold more than this many).
const maxNodes = 1 << 14

// Parse reads a cXML document: well-formed XML whose root is <Response>.
// Any other answer is SignalWire's error 12100, with the reason.
func Parse(body []byte) (*Node, *delivery.Error) {
	b := bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, delivery.New(delivery.CodeParse, "the answer is empty; send <Response/> for nothing")
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("<?xml")) && !bytes.HasPrefix(b, []byte("<?xml")) {
		return nil, delivery.New(delivery.CodeParse, "text before <?xml …?>: the XML declaration must come first")
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var (
		root  *Node
		stack []*Node
		text  []strings.Builder
		count int
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, delivery.New(delivery.CodeParse, "malformed XML: "+xmlErr(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxNodes || len(stack) >= maxDepth {
				return nil, delivery.New(delivery.CodeParse, "the document nests or repeats too much to be cXML")
			}
			n := &Node{Name: t.Name.Local, Attrs: t.Attr}
			if t.Name.Space != "" {
				n.Name = t.Name.Space + ":" + t.Name.Local
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, delivery.New(delivery.CodeParse, "more than one root element")
				}
				if n.Name != "Response" {
					return nil, delivery.Errorf(delivery.CodeParse, "the root is <%s>, not <Response>%s", n.Name, caseHint(n.Name, "Response"))
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			}
			stack = append(stack, n)
			text = append(text, strings.Builder{})
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.Text = strings.TrimSpace(text[len(text)-1].String())
			stack, text = stack[:len(stack)-1], text[:len(text)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, delivery.New(delivery.CodeParse, "text outside <Response>")
				}
				continue
			}
			text[len(text)-1].Write(t)
		}
	}
	if root == nil {
		return nil, delivery.New(delivery.CodeParse, "no <Response> element")
	}
	return root, nil
}

func caseHint(got, want string) string {
	if strings.EqualFold(got, want) {
		return " (names are case-sensitive)"
	}
	return ""
}

func xmlErr(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("line %d: %s", se.Line, se.Msg)
	}
	return err.Error()
}
