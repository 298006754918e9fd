package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
)

// Answer is a body swhook sends itself when there is no handler.
type Answer struct {
	ContentType string
	Body        []byte
}

// The defaults are chosen to be accepted by SignalWire and to do nothing a
// developer did not ask for: no dial, no message, no charge beyond the call
// that is already ringing.
var (
	// EmptyCXML ends a call (or sends no reply to a message) cleanly: an
	// empty <Response> is a valid document with no verbs.
	EmptyCXML = Answer{
		ContentType: "text/xml; charset=utf-8",
		Body:        []byte(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`),
	}
	// HangupSWML answers a SWML call fetch with the single verb that only
	// ends the call; an empty main would end it too, but saying so
	// explicitly leaves nothing to interpretation.
	HangupSWML = Answer{
		ContentType: "application/json",
		Body:        []byte(`{"version":"1.0.0","sections":{"main":[{"hangup":{}}]}}`),
	}
	// EmptySWML answers a SWML messaging fetch with no instructions at all:
	// hangup means nothing for a message, and no verb sends nothing.
	EmptySWML = Answer{
		ContentType: "application/json",
		Body:        []byte(`{"version":"1.0.0","sections":{"main":[]}}`),
	}
	// Empty is 200 with no body: all a status callback wants.
	Empty = Answer{}
)

// DefaultAnswer is what swhook answers a webhook of event ev with when there
// is no handler and no --respond file.
func DefaultAnswer(ev exchange.Event) Answer {
	switch ev.Kind {
	case exchange.KindSWMLCall:
		return HangupSWML
	case exchange.KindSWMLMessage:
		return EmptySWML
	case exchange.KindCallStatus, exchange.KindRecordingStatus, exchange.KindMessageStatus,
		exchange.KindFaxStatus, exchange.KindTranscription, exchange.KindRelayCallState:
		return Empty
	}
	// Inbound calls, messages and faxes, and anything unknown: an empty
	// cXML document is valid for every form webhook and harmless elsewhere.
	return EmptyCXML
}

// LoadAnswer reads a --respond file. The content type comes from the
// extension (.xml, .json, .yaml/.yml, .txt), else from the bytes.
func LoadAnswer(path string) (*Answer, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("cannot read %s: %w", path, pe.Err)
		}
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var ct string
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xml", ".cxml", ".laml":
		ct = "text/xml; charset=utf-8"
	case ".json", ".swml":
		ct = "application/json"
	case ".yaml", ".yml":
		ct = "application/yaml"
	case ".txt":
		ct = "text/plain; charset=utf-8"
	default:
		ct = http.DetectContentType(body)
	}
	return &Answer{ContentType: ct, Body: body}, nil
}
