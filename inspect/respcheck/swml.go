package respcheck

import (
	"errors"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/swml"
)

// SWML (developer.signalwire.com/swml): a JSON or YAML document with
// version "1.0.0" (the only supported version) and sections, of which main
// is where execution starts; every section is a list of methods. The rules
// and SignalWire's error names live in inspect/swml, which the call
// emulator shares.

// checkSWMLJSON grades a SWML JSON document: at once when it is a plain one
// plainSWMLJSONOK vouches for, else through the SWML parser.
func checkSWMLJSON(d domain, body []byte, truncated bool) exchange.Check {
	if plainSWMLJSONOK(body, d.flavor()) {
		return exchange.Check{Status: exchange.CheckOK}
	}
	return checkSWML(d, body, truncated, "JSON")
}

func checkSWMLYAML(d domain, body []byte, truncated bool) exchange.Check {
	return checkSWML(d, body, truncated, "YAML")
}

func (d domain) flavor() swml.Flavor {
	if d == domainMessaging {
		return swml.Messaging
	}
	return swml.Calling
}

func checkSWML(d domain, body []byte, truncated bool, notation string) exchange.Check {
	top, err := swml.Decode(body)
	if err != nil {
		if truncated {
			return warnf("answer is larger than the capture limit; only its start was checked")
		}
		if notation == "YAML" {
			return errorf("answer is neither cXML (<Response>) nor SWML (version and sections.main); %s", d.consequence())
		}
		var e *swml.Error
		errors.As(err, &e)
		return errorf("malformed SWML JSON (%s): %s; %s", code(d, e), strings.TrimPrefix(e.Msg, "malformed JSON: "), d.consequence())
	}
	_, hasVersion := top["version"]
	_, hasSections := top["sections"]
	_, hasReply := top["reply"]
	_, hasReceive := top["receive"]
	if !hasVersion && !hasSections && !hasReply && !hasReceive {
		return errorf("answer is neither cXML (<Response>) nor SWML (version and sections.main); %s", d.consequence())
	}
	if _, err := swml.FromValue(top, d.flavor()); err != nil {
		var e *swml.Error
		errors.As(err, &e)
		where := ""
		if strings.Contains(e.Path, "[") {
			where = " at " + e.Path
		}
		return errorf("SWML%s: %s (%s); %s", where, e.Msg, e.Code, d.consequence())
	}
	return exchange.Check{Status: exchange.CheckOK}
}

func code(d domain, e *swml.Error) string {
	if d == domainMessaging {
		return swml.MsgJSONOrYAMLRequired
	}
	return e.Code
}
