package cmd

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/replay/trigger"
)

func TestReplayComparisonGolden(t *testing.T) {
	orig := &exchange.Exchange{ID: 12, Response: exchange.Response{
		Status: 500, DurationMS: 1234.5,
		Body: exchange.Body("<Response>\n<Say>error\x1b]0;pwned\x07</Say>\n</Response>\n"),
	}}
	x := &exchange.Exchange{ID: 57, ReplayOf: 12, Response: exchange.Response{
		Status: 200, DurationMS: 3.25, Headers: http.Header{"Content-Type": {"text/xml"}},
		Body: exchange.Body("<Response>\n<Say>ok</Say>\n</Response>\n"),
	}}
	var b bytes.Buffer
	writeReplayComparison(&b, orig, x, "POST", "http://localhost:3000/voice\x1b[2J")
	same := &exchange.Exchange{ID: 58, ReplayOf: 12, Response: exchange.Response{Error: `Post "http://localhost:3000/voice": dial tcp 127.0.0.1:3000: connect: connection refused`, DurationMS: 0.4}}
	writeReplayComparison(&b, &exchange.Exchange{ID: 12, Response: exchange.Response{Status: 204, DurationMS: 25}}, same, "POST", "http://localhost:3000/voice")
	golden.RequireEqual(t, b.String())
}

func TestTriggerOutputGolden(t *testing.T) {
	ios, _, out, _ := cmdutil.Test()
	o := &TriggerOptions{IO: ios, To: "http://localhost:3000/voice"}
	if err := listTriggerEvents(o); err != nil {
		t.Fatal(err)
	}
	w, err := trigger.Build("call.status", trigger.Params{Status: "busy", Rand: rand.New(rand.NewPCG(1, 2)), Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	writeTriggerLine(o, w, &exchange.Exchange{ID: 3, Response: exchange.Response{Status: 200}, ResponseCheck: exchange.Check{Status: exchange.CheckOK}})
	o.BadSignature = true
	writeTriggerLine(o, w, &exchange.Exchange{ID: 4, Response: exchange.Response{Status: 403},
		ResponseCheck: exchange.Check{Status: exchange.CheckError, Message: "status callbacks want a 2xx\nsecond line"}})
	golden.RequireEqual(t, out.String())
}
