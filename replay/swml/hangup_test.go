package swml

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/swhook/swhook/replay/call"
)

// keypadHangsUp is a caller who presses Ctrl-C at the first prompt.
type keypadHangsUp struct{ call.Silent }

func (keypadHangsUp) Gather(context.Context, call.Ask) (call.Reply, error) {
	return call.Reply{}, call.ErrHungUp
}

// TestCallerHangsUpAtPrompt: Ctrl-C at a prompt is the caller hanging up,
// as in cXML: the call ends completed with that reason, not a swhook stop
// (exit 1), and nothing after the prompt runs.
func TestCallerHangsUpAtPrompt(t *testing.T) {
	site := newSite(t)
	site.json("/voice", `{"version":"1.0.0","sections":{"main":[{"prompt":{"play":"say:Press 1","max_digits":1}},{"play":"say:After"}]}}`)
	ev := &call.Events{}
	s, err := call.NewSession(call.Config{URL: site.url("/voice"), Key: testKey, Caller: keypadHangsUp{}, Sink: ev,
		Rand: rand.New(rand.NewPCG(seed.Add(1), 2))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := Call(context.Background(), s, Options{}); err != nil {
		t.Fatal(err)
	}
	r := run{ev: ev, s: s}
	hang := ev.Of(call.EvHangup)
	if s.Failed() || len(hang) != 1 || hang[0].Status != "completed" || hang[0].Text != call.ErrHungUp.Error() || len(r.said()) != 1 {
		t.Errorf("failed %v %q, hangup %+v, said %q", s.Failed(), r.errors(), hang, r.said())
	}
}
